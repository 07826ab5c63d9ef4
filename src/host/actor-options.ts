/** What an actor may be given when it starts, and the defaults. */
import { availableParallelism } from "node:os";

export interface ActorOptions {
  /** Concurrent instances; each serves one invocation at a time. */
  instances?: number;
  /** Per-invocation deadline. */
  deadlineMs?: number;
  /** Linear memory ceiling per instance. */
  maxMemoryBytes?: number;
  /** Invocations allowed to wait for a free instance before WACTOR_ERR_BUSY. */
  maxQueue?: number;
}

/**
 * Instances default to the cores, 2 to 4: two, so one slow invocation does not hold up the
 * actor; no more than the cores, since a fast actor's extra instances only trade CPU for
 * wake-ups (HTTP echo on 2 cores, measured: 12.5k req/s with 1 or 2 instances, 9.8k with 4).
 * I/O-bound actors want more: set `instances`.
 */
export const ACTOR_DEFAULTS: Required<ActorOptions> = { instances: Math.min(4, Math.max(2, availableParallelism())), deadlineMs: 10_000, maxMemoryBytes: 64 * 1024 * 1024, maxQueue: 1024 };
