import type { MessagePort } from "node:worker_threads";
import type { GateIdentity } from "./claims-gate.js";

/** How the host thread and an instance worker talk. Transport only; no policy. */
export interface WorkerInit {
  module: WebAssembly.Module;
  maxMemoryBytes: number;
  /** Whose instance this is, with its claimed capabilities (checked in the worker first). */
  identity: GateIdentity;
  /** Host -> worker ring: invocations and host-call replies. */
  inbound: SharedArrayBuffer;
  /** Worker -> host ring: results and host calls. */
  outbound: SharedArrayBuffer;
  /** Carries records too large for a ring, in both directions. */
  port: MessagePort;
}

export type ToWorker = { type: "load"; init: WorkerInit };

export type FromWorker =
  { type: "ready"; memoryBytes: number; threadId: number | undefined } | { type: "start-failed"; error: string } | { type: "log"; line: string };

export interface HostCallRequest {
  binding: string;
  namespace: string;
  operation: string;
  payload: Uint8Array;
}
