/**
 * A KV watch that outlives its consumer. nats.js re-creates an ordered consumer itself when
 * its heartbeats stop (the consumer was deleted, its server died), but when that re-create
 * fails for good or the subscription errs, the watch iterator just ends, and a link sync or
 * a deploy waiting for its status would wait forever. Then the follower watches again from
 * the revision after the last one it delivered, so no change is lost nor delivered twice.
 * Each restart is counted and logged. Only `stop()` or a closed connection ends it.
 */
import type { KV, KvEntry } from "nats";
import type { Logger } from "pino";
import { readState } from "./state-read.js";

export interface FollowOptions {
  /** One key (or subject wildcard) to follow; every key by default. */
  key?: string;
  /** Names the watch in logs. */
  what: string;
  logger?: Logger;
}

export interface KvFollower {
  stop(): void;
  /** Times the watch was started again after it ended. */
  readonly restarts: number;
  /** Resolves once the entries current at the start were delivered. */
  readonly initialized: Promise<void>;
}

const MAX_PAUSE_MS = 2000;
const CLOSING = new Set(["CONNECTION_CLOSED", "CONNECTION_DRAINING"]);

/** Every stored version of the key(s), oldest first (as deep as the bucket keeps history). */
export function readHistory(kv: KV, what: string, key?: string): Promise<KvEntry[]> {
  return readState(`reading the history of ${what}`, async () => {
    const entries: KvEntry[] = [];
    for await (const entry of await kv.history(key !== undefined ? { key } : {})) entries.push(entry);
    return entries.sort((a, b) => a.revision - b.revision);
  });
}

export async function followKv(kv: KV, onEntry: (entry: KvEntry) => void, options: FollowOptions): Promise<KvFollower> {
  let stopped = false;
  let restarts = 0;
  let lastRevision = 0;
  let current: { stop(): void } | undefined;
  let isInitialized = false;
  let markInitialized!: () => void;
  const initialized = new Promise<void>((resolve) => (markInitialized = resolve)).then(() => void (isInitialized = true));
  const key = options.key !== undefined ? { key: options.key } : {};

  const open = () =>
    kv.watch({
      ...key,
      // A restart replays every change after the last delivered one, in order; one before the
      // current entries were all delivered starts over (entries come again: callers apply them idempotently).
      ...(isInitialized && lastRevision > 0 ? { resumeFromRevision: lastRevision + 1 } : { initializedFn: () => markInitialized() }),
    });

  const drain = async (iterator: AsyncIterable<KvEntry>): Promise<unknown> => {
    try {
      for await (const entry of iterator) {
        lastRevision = Math.max(lastRevision, entry.revision);
        onEntry(entry);
      }
      return undefined;
    } catch (err) {
      return err;
    }
  };

  const follow = async (first: Awaited<ReturnType<KV["watch"]>>): Promise<void> => {
    let iterator = first;
    // Restarts in a row that delivered nothing: each waits longer, so a watch that keeps ending is no hot loop.
    let barren = 0;
    for (;;) {
      current = iterator;
      const before = lastRevision;
      const ended = await drain(iterator);
      barren = lastRevision > before ? 0 : barren + 1;
      const reason = ended instanceof Error ? ended.message : "the watch ended";
      for (let attempt = barren - 1; ; attempt++) {
        if (attempt >= 0) await new Promise((r) => setTimeout(r, Math.min(MAX_PAUSE_MS, 100 * 2 ** attempt)));
        if (stopped) return;
        try {
          iterator = await open();
          if (stopped) return iterator.stop();
          break;
        } catch (err) {
          // A closed or closing connection ends the follower (the client is shutting down), quietly.
          if (CLOSING.has((err as { code?: string }).code ?? "")) return;
          options.logger?.debug({ watch: options.what, err: (err as Error).message }, "KV watch could not start again yet; retrying");
        }
      }
      restarts++;
      options.logger?.warn({ watch: options.what, restarts, fromRevision: lastRevision + 1, reason }, "KV watch ended; watching again from the next revision");
    }
  };

  // Starting the watch is a read: its failure after the retries is a catalog error, never a bare NATS one.
  const first = await readState(`watching ${options.what}`, open);
  void follow(first);
  await initialized;
  return {
    stop: () => {
      stopped = true;
      current?.stop();
    },
    get restarts() {
      return restarts;
    },
    initialized,
  };
}
