import type { MessagePort } from "node:worker_threads";
import type { Outcome } from "./result-ring.js";

/** Messages between the host thread and an instance worker. Transport only; no policy. */

export interface WorkerInit {
  module: WebAssembly.Module;
  /** Port on which the worker sends host calls and synchronously receives their results. */
  hostPort: MessagePort;
  /** Int32 flag the worker waits on (Atomics.wait) until a host call result is posted. */
  signal: SharedArrayBuffer;
  maxMemoryBytes: number;
  /** Result ring (see result-ring.ts); results that do not fit travel as messages. */
  results: SharedArrayBuffer;
}

export interface Invocation {
  id: number;
  operation: string;
  payload: Uint8Array;
}

/** Invocations posted in one tick travel as one message; the worker runs them in order. */
export type ToWorker = { type: "load"; init: WorkerInit } | { type: "invoke"; batch: Invocation[] };

export type FromWorker =
  | { type: "ready"; memoryBytes: number }
  | { type: "start-failed"; error: string }
  | { type: "result"; outcome: Outcome }
  | { type: "log"; line: string };

export interface HostCallRequest {
  binding: string;
  namespace: string;
  operation: string;
  payload: Uint8Array;
}

export type HostCallReply = { ok: true; payload: Uint8Array } | { ok: false; error: string };
