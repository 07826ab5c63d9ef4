/**
 * Messages between the host thread and an executor thread (executors.ts, executor-worker.ts).
 * An executor runs the metered pools of many actors; the host thread keeps the providers, so a
 * guest's host call travels to it and its reply back, while the executor runs other guests.
 */
import type { MeteredPoolOptions } from "../metered/metered-pool.js";

/** What a metered pool needs to start over there: everything but the callbacks, which stay here. */
export type ExecutorPoolSpec = Pick<MeteredPoolOptions, "module" | "kind" | "identity" | "instances" | "maxQueue" | "deadlineMs" | "maxMemoryBytes">;

/** A failed invocation or start, as its catalog code and detail. */
export interface WireError {
  code: string;
  detail: string;
}

export type ToExecutor =
  | { t: "start"; pool: number; spec: ExecutorPoolSpec }
  /** `traced`: the host thread follows this invocation's host calls and denials (tracing on). */
  | { t: "invoke"; pool: number; call: number; operation: string; payload: Uint8Array; traced: boolean }
  | { t: "reply"; hostCall: number; ok: true; payload: Uint8Array }
  | { t: "reply"; hostCall: number; ok: false; error: string }
  | { t: "drain"; pool: number; timeoutMs: number }
  | { t: "stop"; pool: number };

/** Sizes the host reports for the pool (metrics, `inventory`), sent with every answer. */
export interface PoolSizes {
  size: number;
  memoryBytes: number;
}

export type FromExecutor =
  | { t: "started"; pool: number; error?: WireError; sizes: PoolSizes }
  | { t: "done"; call: number; ok: true; payload: Uint8Array; sizes: PoolSizes }
  | { t: "done"; call: number; ok: false; error: WireError; sizes: PoolSizes }
  /** `call`: the traced invocation making it, if any. */
  | { t: "hostCall"; pool: number; hostCall: number; call?: number; binding: string; namespace: string; operation: string; payload: Uint8Array }
  /** A traced invocation's host call refused by the claims gate inside the executor. */
  | { t: "traceDenied"; call: number; capabilityId: string; binding: string; operation: string }
  | { t: "stopped"; pool: number }
  | { t: "log"; pool: number; line: string }
  | { t: "denied"; pool: number; capabilityId: string; binding: string; operation: string; count: number }
  | { t: "replaced"; pool: number; reason: "deadline" | "trap" };
