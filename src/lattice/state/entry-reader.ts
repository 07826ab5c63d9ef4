/**
 * Reads one kind of stored entry (links, application versions) the way a host that acts on
 * it must: with a trusting verifier, only entries signed by a trusted key, for this kind
 * and key, and not older than the last accepted one of that key (an old signed version
 * written back is "stale"); without one (an open lattice, or a reader that only displays),
 * any well-formed entry, signed or plain. Whatever is refused is reported once, with its key.
 */
import type { KvEntry } from "nats";
import type { SignatureVerifier } from "../trust/operator-signature.js";
import { readEntryUnchecked } from "../trust/operator-signature.js";
import type { RejectionReporter, RejectionScope } from "../wire/rejections.js";

export interface EntryReaderOptions<T> {
  kind: string;
  scope: RejectionScope;
  /** Shape check of the content; a signed entry of the wrong shape is still junk. */
  valid(content: unknown): content is T;
  /** Present: only signed entries it accepts are read. */
  verifier?: SignatureVerifier;
  reporter?: RejectionReporter;
}

export class EntryReader<T> {
  readonly #o: EntryReaderOptions<T>;
  /** Per key, the newest entry accepted: its stamp, and its content (what stays in force when a refused one replaces it). */
  readonly #newest = new Map<string, { at: number; content: T }>();

  constructor(options: EntryReaderOptions<T>) {
    this.#o = options;
  }

  get checking(): boolean {
    return this.#o.verifier !== undefined;
  }

  /**
   * Learns the newest signed version of every key from the bucket's history, oldest first,
   * so a process that just started refuses an older version written back while it was down
   * ("stale"), as one that kept running does: the memory of what was accepted is the state
   * itself. Refusals among the history are reported as any read's.
   */
  learn(history: Iterable<KvEntry>): void {
    if (!this.checking) return;
    for (const entry of history) if (entry.operation === "PUT" && entry.value.length > 0) this.#read(entry, true);
  }

  /**
   * The content of a PUT entry, or undefined when it must not be acted on (reported). A
   * checking reader answers a refused latest entry with the last one it accepted under that
   * key: a forged overwrite neither takes effect nor erases what the operator signed.
   * `latest` false reads an old version from history: no staleness there.
   */
  read(entry: KvEntry, latest = true): T | undefined {
    const content = this.#read(entry, latest);
    if (content !== undefined || !latest || !this.checking) return content;
    return this.#newest.get(entry.key)?.content;
  }

  #read(entry: KvEntry, latest: boolean): T | undefined {
    const { verifier, kind, valid } = this.#o;
    if (!verifier) {
      let content: unknown;
      try {
        content = readEntryUnchecked(entry.value);
      } catch (err) {
        this.#reject(entry, "malformed", (err as Error).message);
        return undefined;
      }
      if (valid(content)) return content;
      this.#reject(entry, "malformed", `not a ${kind}`);
      return undefined;
    }
    const verdict = verifier.verifyEntry(entry.value, kind, entry.key);
    if (!verdict.ok) {
      this.#reject(entry, verdict.reason, verdict.detail);
      return undefined;
    }
    const { content, at } = verdict.value;
    if (!valid(content)) {
      this.#reject(entry, "malformed", `signed by ${verdict.issuer} but not a ${kind}`);
      return undefined;
    }
    if (latest) {
      const newest = this.#newest.get(entry.key)?.at ?? 0;
      if (at < newest) {
        this.#reject(entry, "stale", `signed ${new Date(at).toISOString()}, older than the version already accepted (${new Date(newest).toISOString()})`);
        return undefined;
      }
      this.#newest.set(entry.key, { at, content });
    }
    return content;
  }

  /** A delete or purge marker: anyone with write access can make one, so a checking reader refuses it. */
  acceptsDeleteMarker(entry: KvEntry): boolean {
    if (!this.checking) return true;
    this.#reject(entry, "unsigned", `a bare ${entry.operation} of a ${this.#o.kind} (deletions are signed entries)`);
    return false;
  }

  #reject(entry: KvEntry, reason: string, detail: string): void {
    this.#o.reporter?.report({ scope: this.#o.scope, reason, key: entry.key, revision: entry.revision, detail });
  }
}
