/** What an actor may be given when it starts, and the defaults. */
import type { Isolation } from "../runtime/actor-pool.js";

export interface ActorOptions {
  /** Most concurrent instances, made on demand; each serves one invocation at a time. */
  instances?: number;
  /** Per-invocation deadline. */
  deadlineMs?: number;
  /** Linear memory ceiling per instance. */
  maxMemoryBytes?: number;
  /** Invocations allowed to wait for a free instance before WACTOR_ERR_BUSY. */
  maxQueue?: number;
  /**
   * "metered" (default): instances are instrumented Wasm objects sharing the host thread;
   * "executor": the same on a shared executor thread, so a compute-bound actor uses another
   * core (each host call then crosses threads twice);
   * "thread": one worker thread per instance (at most MAX_THREAD_INSTANCES), the last resort
   * also taken for a module the instrumentation cannot handle.
   */
  isolation?: Isolation;
  /**
   * A directory holding the actor's static files (a runnable's get_static_file, docs/runnables.md);
   * "" (default): none. Host.setStaticFiles gives any other source.
   */
  staticDir?: string;
}

/**
 * Up to 64 instances, made on demand: an instance costs memory only (its Wasm memory and an
 * object), so an I/O-bound actor with many invocations suspended on providers needs no
 * tuning, and a compute-bound one never makes more than the invocations it runs at once.
 */
export const ACTOR_DEFAULTS: Required<ActorOptions> = {
  instances: 64,
  deadlineMs: 10_000,
  maxMemoryBytes: 64 * 1024 * 1024,
  maxQueue: 1024,
  isolation: "metered",
  staticDir: "",
};
