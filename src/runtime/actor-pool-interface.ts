/**
 * What every actor pool is, whatever isolates it (instances on the host thread, an executor
 * thread, worker threads): the implementations import this, and actor-pool.ts picks one.
 */
import type { HttpRequest, HttpResponse } from "../codec/http.js";
import type { HttpClientRequest, HttpClientResponse } from "../codec/http-client.js";
import type { JobReply, JobRequest } from "../codec/job.js";
import type { GateIdentity } from "./claims-gate.js";
import type { InvocationTrace } from "./invocation-trace.js";
import type { HostCallRequest } from "./worker-protocol.js";

export interface ActorPool {
  /** Instances that exist now. */
  readonly size: number;
  readonly inFlight: number;
  readonly queued: number;
  readonly memoryBytes: number;
  start(): Promise<void>;
  /** `trace` only while tracing is on (invocation-trace.ts). */
  invoke(operation: string, payload: Uint8Array, trace?: InvocationTrace): Promise<Uint8Array>;
  /**
   * Where offered (instances on the host thread): a `HandleRequest` given and answered as its
   * fields, so a runnable pays no MessagePack; without it the caller encodes for `invoke`.
   * The response itself when a direct call answered it; failures always as a rejected promise.
   */
  invokeHttp?(request: HttpRequest, trace?: InvocationTrace): HttpResponse | Promise<HttpResponse>;
  /** Likewise for a bundle step's `Job`: the reply itself when it was answered at once (a direct call). */
  invokeJob?(request: JobRequest, trace?: InvocationTrace): JobReply | Promise<JobReply>;
  /** Stops taking work, lets in-flight and queued invocations finish (bounded), then stops. */
  drain(timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

export type Isolation = "metered" | "executor" | "thread";

/** Worker threads cost a core's worth of wake-ups each: a thread-isolated actor gets few. */
export const MAX_THREAD_INSTANCES = 4;

export interface ActorPoolOptions {
  /** The verified module, and the hash of its code from its claims. */
  bytes: Uint8Array;
  codeHash: string;
  identity: GateIdentity;
  isolation: Isolation;
  instances: number;
  maxQueue: number;
  deadlineMs: number;
  maxMemoryBytes: number;
  cacheDir?: string;
  hostCall: (request: HostCallRequest) => Promise<Uint8Array>;
  /** An http_client Request as its fields (authorized as `hostCall` is); used by instances on the host thread. */
  httpClient?: (binding: string, request: HttpClientRequest) => Promise<HttpClientResponse>;
  onLog?: (line: string) => void;
  onDenied?: (capabilityId: string, binding: string, operation: string, count: number) => void;
  onReplaced?: (reason: "deadline" | "trap" | "crash") => void;
  /**
   * Told when an actor's invocations stop being tried as direct calls (docs/runtime.md, "Direct
   * calls"): `wait`, one made a host call; `slice`, they ran out of their slice three times.
   */
  onDirectOff?: (reason: "wait" | "slice") => void;
  /** Told when they are tried again: a thousand in a row ran on the serve loop without suspending. */
  onDirectOn?: () => void;
  /** Told when an actor that asked for metering runs on threads instead, and why. */
  onFallback?: (reason: string) => void;
}
