/**
 * Leader election through a JetStream KV lease: the bucket's max age is the lease's
 * lifetime, `create` takes a free lease, `update` at the held revision renews it. A leader
 * that dies stops renewing and its lease expires; one that stops cleanly releases it.
 * With a signer the lease is a record signed with the host's cluster key; with a verifier a
 * lease that is not (junk, or written by a client without a trusted key) is reported once
 * and taken over at its revision rather than obeyed.
 */
import type { KV, KvEntry } from "nats";
import type { KeyPair } from "../claims/nkeys.js";
import { isPublicKey } from "../claims/nkeys.js";
import type { LatticeBuckets } from "../lattice/state/buckets.js";
import { readEntryUnchecked, signEntry, type SignatureVerifier } from "../lattice/trust/operator-signature.js";
import type { RejectionReporter } from "../lattice/wire/rejections.js";
import { readState } from "../lattice/state/state-read.js";
import { stateWriteError } from "../lattice/state/state-write.js";

const KEY = "reconciler";
const KIND = "lease";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** JetStream's "wrong last sequence": the key changed since we read it, i.e. another host won. */
const WRONG_LAST_SEQUENCE = 10071;

function lostRace(err: unknown): boolean {
  return (err as { api_error?: { err_code?: number } } | null)?.api_error?.err_code === WRONG_LAST_SEQUENCE;
}

export interface LeaseOptions {
  reporter?: RejectionReporter;
  /** Signs the lease (the host's cluster key). */
  signer?: KeyPair;
  /** Obeys only leases signed by a trusted cluster key. */
  verifier?: SignatureVerifier;
}

type Reading = { holder: string } | { junk: string; reason: string };

export class Lease {
  private constructor(
    private readonly kv: KV,
    private readonly options: LeaseOptions,
  ) {}

  static async open(buckets: LatticeBuckets, bucket: string, ttlMs: number, options: LeaseOptions = {}): Promise<Lease> {
    // Read from the leader: a lagging replica's answer made the holder step down (buckets.ts).
    return new Lease(await buckets.kv(bucket, { history: 1, ttl: ttlMs, leaderReads: true }), options);
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
        await this.kv.create(KEY, this.#encode(holder));
        return true;
      }
      const reading = this.#read(entry);
      if ("holder" in reading && reading.holder !== holder) return false;
      if ("junk" in reading)
        this.options.reporter?.report({ scope: "leases", reason: reading.reason, key: entry.key, revision: entry.revision, detail: reading.junk });
      await this.kv.update(KEY, this.#encode(holder), entry.revision);
      return true;
    } catch (err) {
      if (lostRace(err)) return false;
      throw stateWriteError("taking the reconciler lease", err);
    }
  }

  async holder(): Promise<string | undefined> {
    const entry = await readState("reading the reconciler lease", () => this.kv.get(KEY), { retryMs: 0 });
    if (!entry || entry.operation !== "PUT") return undefined;
    const reading = this.#read(entry);
    return "holder" in reading ? reading.holder : undefined;
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

  #encode(holder: string): Uint8Array {
    return this.options.signer ? signEntry(this.options.signer, KIND, KEY, { holder }) : encoder.encode(holder);
  }

  /** Holders are host ids (N…); anything else is junk. */
  #read(entry: KvEntry): Reading {
    const { verifier } = this.options;
    let holder: unknown;
    if (verifier) {
      const verdict = verifier.verifyEntry(entry.value, KIND, entry.key);
      if (!verdict.ok) return { junk: verdict.detail, reason: verdict.reason };
      holder = (verdict.value.content as { holder?: unknown }).holder;
    } else {
      const text = decoder.decode(entry.value);
      try {
        holder = text.startsWith("eyJ") ? (readEntryUnchecked(entry.value) as { holder?: unknown }).holder : text;
      } catch {
        holder = undefined;
      }
    }
    return typeof holder === "string" && isPublicKey(holder, "server") ? { holder } : { junk: "the holder is not a host id", reason: "malformed" };
  }
}
