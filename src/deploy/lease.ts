/**
 * Leader election through a JetStream KV lease: the bucket's max age is the lease's
 * lifetime, `create` takes a free lease, `update` at the held revision renews it. A leader
 * that dies stops renewing and its lease expires; one that stops cleanly releases it.
 */
import type { KV } from "nats";
import type { LatticeBuckets } from "../lattice/buckets.js";
import { readState } from "../lattice/state-read.js";
import { stateWriteError } from "../lattice/state-write.js";

const KEY = "reconciler";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** JetStream's "wrong last sequence": the key changed since we read it, i.e. another host won. */
const WRONG_LAST_SEQUENCE = 10071;

function lostRace(err: unknown): boolean {
  return (err as { api_error?: { err_code?: number } } | null)?.api_error?.err_code === WRONG_LAST_SEQUENCE;
}

export class Lease {
  private constructor(private readonly kv: KV) {}

  static async open(buckets: LatticeBuckets, bucket: string, ttlMs: number): Promise<Lease> {
    return new Lease(await buckets.kv(bucket, { history: 1, ttl: ttlMs }));
  }

  /**
   * Takes the lease when free, renews it when held by `holder`; false when someone else holds
   * it or won the race to it. Any other failure (NATS down, store full) rejects: it is not an answer.
   */
  async tryAcquire(holder: string): Promise<boolean> {
    // No retry: a lease that cannot be read now is checked again next period (a retry would outlive it).
    const entry = await readState("reading the reconciler lease", () => this.kv.get(KEY), { retryMs: 0 });
    try {
      if (!entry || entry.operation !== "PUT") {
        await this.kv.create(KEY, encoder.encode(holder));
        return true;
      }
      if (decoder.decode(entry.value) !== holder) return false;
      await this.kv.update(KEY, encoder.encode(holder), entry.revision);
      return true;
    } catch (err) {
      if (lostRace(err)) return false;
      throw stateWriteError("taking the reconciler lease", err);
    }
  }

  async holder(): Promise<string | undefined> {
    const entry = await readState("reading the reconciler lease", () => this.kv.get(KEY), { retryMs: 0 });
    return entry && entry.operation === "PUT" ? decoder.decode(entry.value) : undefined;
  }

  /** Gives the lease up so another host leads at once; rejects when that failed (it then expires by itself). */
  async release(holder: string): Promise<void> {
    if ((await this.holder()) !== holder) return;
    try {
      await this.kv.delete(KEY);
    } catch (err) {
      throw stateWriteError("releasing the reconciler lease", err);
    }
  }
}
