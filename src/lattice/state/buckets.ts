/**
 * The lattice's JetStream buckets (KV and Object Store) and their replicas. A bucket's
 * replica count is decided once, when it is created: the configured count, or by default 3
 * when the JetStream cluster can place three replicas and 1 otherwise (a single server
 * refuses R3 with 10074, a cluster of fewer than three with "no suitable peers"); the
 * decision is logged. An existing bucket is bound as it is, whatever its replicas.
 */
import type { JetStreamClient, JetStreamManager, KV, ObjectStore } from "nats";
import type { Logger } from "pino";
import { WactorError } from "../../errors.js";
import { writeState } from "./state-write.js";

/** JetStream's refusals of a replica count it cannot place: non-clustered, no suitable peers, insufficient resources. */
const CANNOT_PLACE = new Set([10074, 10005, 10023]);
const PREFERRED_REPLICAS = 3;

export interface BucketHealth {
  bucket: string;
  kind: "kv" | "object";
  /** Replicas configured. */
  replicas: number;
  /** Server that leads the bucket's stream (absent on a single server or while there is none). */
  leader?: string;
  /** Replicas that are up and current, the leader included. */
  current: number;
  /** ok: every replica current; degraded: a quorum is; unavailable: no leader or no quorum. */
  state: "ok" | "degraded" | "unavailable";
  /** Replicas that are offline or behind, by server name. */
  lagging: string[];
  /** Why the state is unknown (JetStream did not answer). */
  reason?: string;
}

interface ApiError {
  api_error?: { err_code?: number; description?: string };
}

export class LatticeBuckets {
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #configured: number | undefined;
  readonly #logger: Logger | undefined;
  /** Once the cluster refused R3, later buckets of this connection go straight to one replica. */
  #fallback = false;

  constructor(js: JetStreamClient, jsm: JetStreamManager, options: { replicas?: number; logger?: Logger } = {}) {
    if (options.replicas !== undefined && (!Number.isInteger(options.replicas) || options.replicas < 1 || options.replicas > 5)) {
      throw new WactorError("WACTOR_ERR_BAD_ARGUMENT", `--js-replicas '${options.replicas}' must be 1 to 5 (3 or 5 for a cluster)`);
    }
    this.#js = js;
    this.#jsm = jsm;
    this.#configured = options.replicas;
    this.#logger = options.logger;
  }

  /**
   * `leaderReads`: gets go to the stream's leader instead of any replica (direct get). A
   * replica may lag, and before nats-server 2.9.17 a restarted one answered before it caught
   * up: a lease read there names an old holder or revision, and its leader stepped down.
   */
  kv(bucket: string, options: { history: number; ttl?: number; leaderReads?: boolean }): Promise<KV> {
    const { leaderReads, ...kv } = options;
    return this.#open(bucket, "kv", (replicas) => this.#js.views.kv(bucket, { ...kv, replicas, ...(leaderReads && { allow_direct: false }) }));
  }

  os(bucket: string): Promise<ObjectStore> {
    return this.#open(bucket, "object", (replicas) => this.#js.views.os(bucket, { replicas }));
  }

  async #open<T>(bucket: string, kind: "kv" | "object", open: (replicas: number) => Promise<T>): Promise<T> {
    // nats.js binds an existing bucket without touching its configuration; the count matters only when creating.
    if (await this.#exists(bucket, kind)) return open(1);
    if (this.#configured !== undefined) {
      const replicas = this.#configured;
      const store = await writeState(`creating bucket ${bucket} with ${replicas} replica(s) (--js-replicas)`, () => this.#create(bucket, kind, replicas, open));
      this.#logger?.info({ bucket, replicas }, "created lattice bucket with the configured replicas (--js-replicas)");
      return store;
    }
    let reason: string | undefined;
    if (!this.#fallback) {
      try {
        const store = await this.#create(bucket, kind, PREFERRED_REPLICAS, open);
        this.#logger?.info({ bucket, replicas: PREFERRED_REPLICAS }, "created lattice bucket replicated on three JetStream servers");
        return store;
      } catch (err) {
        const api = (err as ApiError).api_error;
        if (api?.err_code === undefined || !CANNOT_PLACE.has(api.err_code)) throw err;
        this.#fallback = true;
        reason = api.description;
      }
    }
    const store = await writeState(`creating bucket ${bucket}`, () => this.#create(bucket, kind, 1, open));
    // Warned once per connection (the first bucket says why); the others are logged quietly.
    if (reason !== undefined)
      this.#logger?.warn(
        { bucket, replicas: 1, reason },
        "created lattice bucket with one replica: JetStream cannot place three here (a single server or a cluster of fewer than three); losing its server loses this state",
      );
    else this.#logger?.info({ bucket, replicas: 1 }, "created lattice bucket with one replica");
    return store;
  }

  async #exists(bucket: string, kind: "kv" | "object"): Promise<boolean> {
    return this.#jsm.streams.info(streamName(bucket, kind)).then(
      () => true,
      () => false,
    );
  }

  /** Creates the bucket; when another process created it meanwhile (perhaps with another count), binds to that one. */
  async #create<T>(bucket: string, kind: "kv" | "object", replicas: number, open: (replicas: number) => Promise<T>): Promise<T> {
    try {
      return await open(replicas);
    } catch (err) {
      if (await this.#exists(bucket, kind)) return open(replicas);
      throw err;
    }
  }

  /** Replica health of these buckets; one not created yet is left out. */
  async health(buckets: ReadonlyArray<{ bucket: string; kind: "kv" | "object" }>): Promise<BucketHealth[]> {
    const out: BucketHealth[] = [];
    for (const { bucket, kind } of buckets) {
      let info;
      try {
        info = await this.#jsm.streams.info(streamName(bucket, kind));
      } catch (err) {
        if ((err as Error).message === "stream not found") continue;
        out.push({ bucket, kind, replicas: 0, current: 0, state: "unavailable", lagging: [], reason: (err as Error).message });
        continue;
      }
      const replicas = info.config.num_replicas;
      const peers = info.cluster?.replicas ?? [];
      const leader = info.cluster?.leader;
      // A single server reports no cluster: its one replica is the stream itself.
      const current = info.cluster === undefined ? 1 : (leader ? 1 : 0) + peers.filter((p) => p.current && !p.offline).length;
      const lagging = peers.filter((p) => !p.current || p.offline).map((p) => p.name);
      const quorum = Math.floor(replicas / 2) + 1;
      const state = current >= replicas ? "ok" : current >= quorum && (leader || info.cluster === undefined) ? "degraded" : "unavailable";
      out.push({ bucket, kind, replicas, ...(leader && { leader }), current, state, lagging });
    }
    return out;
  }
}

export function streamName(bucket: string, kind: "kv" | "object"): string {
  return kind === "kv" ? `KV_${bucket}` : `OBJ_${bucket}`;
}
