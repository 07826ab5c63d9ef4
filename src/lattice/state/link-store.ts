/**
 * Links (actor, capability, binding name -> values) of a lattice, kept in a JetStream KV
 * bucket so every host sees them and they survive restarts. With a signer, a link is stored
 * signed (operator-signature.ts) and a deletion is a signed tombstone, not a bare delete
 * marker that anyone with write access could forge; with a verifier, only signed entries
 * are read (entry-reader.ts).
 */
import type { KV, KvEntry } from "nats";
import type { Logger } from "pino";
import type { KeyPair } from "../../claims/nkeys.js";
import { normalizeBinding } from "../../provider/contract.js";
import type { LatticeBuckets } from "./buckets.js";
import { isOwner, type Link } from "../wire/ownership.js";
import { EntryReader } from "./entry-reader.js";
import { followKv, readHistory } from "./kv-follow.js";
import { signEntry, type SignatureVerifier } from "../trust/operator-signature.js";
import type { RejectionReporter } from "../wire/rejections.js";
import { readState } from "./state-read.js";
import { writeState } from "./state-write.js";

export type { Link };

/** A signed deletion. */
interface Tombstone {
  deleted: true;
}

const codec = new TextEncoder();
export const LINK_KIND = "link";

/** KV keys allow [-/_=.A-Za-z0-9]: base64url of the triple, unambiguous and reversible. */
export function linkKey(actorKey: string, capabilityId: string, binding: string): string {
  return Buffer.from(`${actorKey}\n${capabilityId}\n${normalizeBinding(binding)}`).toString("base64url");
}

function isStoredLink(value: unknown): value is Link | Tombstone {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Partial<Link> & { deleted?: unknown };
  if (v.deleted === true) return true;
  return (
    typeof v.actorKey === "string" &&
    typeof v.capabilityId === "string" &&
    typeof v.binding === "string" &&
    typeof v.values === "object" &&
    v.values !== null &&
    (v.owner === undefined || isOwner(v.owner))
  );
}

const isTombstone = (v: Link | Tombstone): v is Tombstone => "deleted" in v && v.deleted === true;

export type LinkChange = { change: "put"; link: Link } | { change: "deleted"; actorKey: string; capabilityId: string; binding: string };

export interface LinkStoreOptions {
  /** Signs what this store writes (operator, or a host's cluster key for the reconciler and manifests). */
  signer?: KeyPair;
  /** Reads only entries it accepts; refusals go to the reporter. */
  verifier?: SignatureVerifier;
  reporter?: RejectionReporter;
}

export class LinkStore {
  readonly #kv: KV;
  readonly #signer: KeyPair | undefined;
  readonly #reader: EntryReader<Link | Tombstone>;
  #learnt: Promise<void> | undefined;

  private constructor(kv: KV, options: LinkStoreOptions) {
    this.#kv = kv;
    this.#signer = options.signer;
    this.#reader = new EntryReader({
      kind: LINK_KIND,
      scope: "links",
      valid: isStoredLink,
      ...(options.verifier && { verifier: options.verifier }),
      ...(options.reporter && { reporter: options.reporter }),
    });
  }

  static async open(buckets: LatticeBuckets, bucket: string, options: LinkStoreOptions = {}): Promise<LinkStore> {
    return new LinkStore(await buckets.kv(bucket, { history: 5 }), options);
  }

  async put(link: Link): Promise<void> {
    const normalized = { ...link, binding: normalizeBinding(link.binding) };
    const key = linkKey(normalized.actorKey, normalized.capabilityId, normalized.binding);
    await writeState(`storing link ${key}`, () => this.#kv.put(key, this.#encode(key, normalized)));
  }

  /** A checking store learns every link's newest signed version from the bucket's history first (entry-reader.ts), once. */
  #learn(): Promise<void> {
    if (!this.#reader.checking) return Promise.resolve();
    this.#learnt ??= readHistory(this.#kv, "the links").then(
      (entries) => this.#reader.learn(entries),
      (err: unknown) => {
        this.#learnt = undefined;
        throw err;
      },
    );
    return this.#learnt;
  }

  async get(actorKey: string, capabilityId: string, binding: string): Promise<Link | undefined> {
    await this.#learn();
    const key = linkKey(actorKey, capabilityId, binding);
    const entry = await readState(`reading link ${key}`, () => this.#kv.get(key));
    return entry ? this.#linkOf(entry) : undefined;
  }

  async delete(actorKey: string, capabilityId: string, binding: string): Promise<boolean> {
    const existing = await this.get(actorKey, capabilityId, binding);
    if (!existing) return false;
    const key = linkKey(actorKey, capabilityId, binding);
    const tombstone: Tombstone = { deleted: true };
    await writeState(`deleting link ${key}`, () =>
      this.#signer ? this.#kv.put(key, this.#encode(key, tombstone)).then(() => undefined) : this.#kv.delete(key),
    );
    return true;
  }

  async list(): Promise<Link[]> {
    await this.#learn();
    // Keys first: awaiting inside the keys iterator ends it early (nats.js v2).
    const keys = await readState("listing the links", async () => {
      const keys: string[] = [];
      for await (const key of await this.#kv.keys()) keys.push(key);
      return keys;
    });
    const links: Link[] = [];
    for (const key of keys) {
      const entry = await readState(`reading link ${key}`, () => this.#kv.get(key));
      const link = entry ? this.#linkOf(entry) : undefined;
      if (link) links.push(link);
    }
    return links;
  }

  /**
   * Calls `onChange` for every current link, then for each change; resolves once the current
   * ones were delivered, so a host joining knows every link before it serves. The watch
   * survives the loss of its consumer (kv-follow.ts).
   */
  async watch(onChange: (change: LinkChange) => void, logger?: Logger): Promise<{ stop(): void }> {
    await this.#learn();
    return followKv(
      this.#kv,
      (entry) => {
        const [actorKey = "", capabilityId = "", binding = ""] = Buffer.from(entry.key, "base64url").toString("utf8").split("\n");
        if (entry.operation === "PUT") {
          const stored = this.#reader.read(entry);
          if (stored && isTombstone(stored)) onChange({ change: "deleted", actorKey, capabilityId, binding });
          else if (stored) onChange({ change: "put", link: stored });
        } else if (this.#reader.acceptsDeleteMarker(entry)) {
          onChange({ change: "deleted", actorKey, capabilityId, binding });
        }
      },
      { what: "links", ...(logger && { logger }) },
    );
  }

  #linkOf(entry: KvEntry): Link | undefined {
    if (entry.operation !== "PUT") return undefined;
    const stored = this.#reader.read(entry);
    return stored && !isTombstone(stored) ? stored : undefined;
  }

  #encode(key: string, content: Link | Tombstone): Uint8Array {
    return this.#signer ? signEntry(this.#signer, LINK_KIND, key, content) : codec.encode(JSON.stringify(content));
  }
}
