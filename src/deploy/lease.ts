/**
 * Leader election through a JetStream KV lease: the bucket's max age is the lease's
 * lifetime, `create` takes a free lease, `update` at the held revision renews it. A leader
 * that dies stops renewing and its lease expires; one that stops cleanly releases it.
 */
import type { KV } from "nats";
import type { LatticeBuckets } from "../lattice/buckets.js";

const KEY = "reconciler";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class Lease {
  private constructor(private readonly kv: KV) {}

  static async open(buckets: LatticeBuckets, bucket: string, ttlMs: number): Promise<Lease> {
    return new Lease(await buckets.kv(bucket, { history: 1, ttl: ttlMs }));
  }

  /** Takes the lease when free, renews it when held by `holder`; false when someone else holds it. */
  async tryAcquire(holder: string): Promise<boolean> {
    const entry = await this.kv.get(KEY).catch(() => null);
    try {
      if (!entry || entry.operation !== "PUT") {
        await this.kv.create(KEY, encoder.encode(holder));
        return true;
      }
      if (decoder.decode(entry.value) !== holder) return false;
      await this.kv.update(KEY, encoder.encode(holder), entry.revision);
      return true;
    } catch {
      return false; // another host won the race
    }
  }

  async holder(): Promise<string | undefined> {
    const entry = await this.kv.get(KEY).catch(() => null);
    return entry && entry.operation === "PUT" ? decoder.decode(entry.value) : undefined;
  }

  async release(holder: string): Promise<void> {
    if ((await this.holder()) === holder) await this.kv.delete(KEY).catch(() => {});
  }
}
