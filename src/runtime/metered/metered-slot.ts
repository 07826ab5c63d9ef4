/**
 * One instance of a metered pool and what its tick reads: the guest made (a waPC actor or a
 * runnable), its host calls behind the claims gate and in the invocation's trace context, and
 * the tick that yields at the slice's end and traps at the deadline.
 */
import type { HttpResponse } from "../../codec/http.js";
import type { HttpClientRequest, HttpClientResponse } from "../../codec/http-client.js";
import type { JobReply } from "../../codec/job.js";
import { CAP_HTTP_CLIENT, OP_HTTP_CLIENT_REQUEST } from "../../codec/operations.js";
import { WactorError } from "../../errors.js";
import type { ClaimsGate } from "../claims-gate.js";
import type { InvocationTrace } from "../invocation-trace.js";
import { RunnableGuest } from "../reactr/runnable-guest.js";
import { DeadlineTrap, type Guest, type StepWaiter } from "../suspendable-guest.js";
import type { HostCallResult } from "../wapc-guest.js";
import { MeteredGuest } from "./metered-guest.js";
import type { HostCallRequest } from "../worker-protocol.js";
import type { GuestKind } from "../suspendable-guest.js";

/** What an instance needs of its pool's options. */
export interface SlotOptions {
  /** Instrumented (transform/instrument.ts) and memory-capped. */
  module: WebAssembly.Module;
  /** Which ABI the module speaks: a waPC actor or a Reactr runnable. */
  kind: GuestKind;
  deadlineMs: number;
  /** `trace`: the running invocation's, while tracing is on. */
  hostCall: (request: HostCallRequest, trace?: InvocationTrace) => Promise<Uint8Array>;
  /** Given by a host that takes http_client Requests as their fields (no MessagePack); checked by the gate first. */
  httpClient?: (binding: string, request: HttpClientRequest) => Promise<HttpClientResponse>;
  onLog?: (line: string) => void;
}

/** One instance and what its tick reads: the current slice end and the deadline. */
export interface Slot {
  guest: Guest;
  sliceEnd: number;
  /** JSPI: a foreground slice's length, started at the guest's first tick (docs/runtime.md). */
  sliceLength: number;
  deadline: number;
  /** Its memory as last counted in the pool's total. */
  counted: number;
  /** The running invocation's trace, while tracing is on. */
  trace: InvocationTrace | undefined;
  /** A handed-over invocation's caller (metered-pool.ts #runHanded), until its first step. */
  resolve: ((reply: Uint8Array | HttpResponse | JobReply) => void) | undefined;
  reject: ((err: unknown) => void) | undefined;
  /** What takes that first step, made once per instance by its pool. */
  waiter: StepWaiter | undefined;
  /** The running invocation is a waPC `HandleRequest` given as fields: its reply is decoded. */
  decodeHttp: boolean;
}

/** A new instance; a failing initializer is WACTOR_ERR_MODULE_COMPILE (WACTOR_ERR_DEADLINE when it ran out of time). */
export function createSlot(options: SlotOptions, gate: ClaimsGate): Slot {
  const slot: Slot = {
    guest: undefined as unknown as Guest,
    sliceEnd: Infinity,
    sliceLength: 0,
    deadline: performance.now() + options.deadlineMs,
    counted: 0,
    trace: undefined,
    resolve: undefined,
    reject: undefined,
    waiter: undefined,
    decodeHttp: false,
  };
  try {
    /** The claims gate, then `call` in the invocation's trace context. */
    const gated = <T>(
      binding: string,
      namespace: string,
      operation: string,
      call: (trace: InvocationTrace | undefined) => Promise<T>,
    ): Promise<T> | HostCallResult => {
      const denied = gate.check(binding, namespace, operation);
      if (denied !== undefined) {
        slot.trace?.denied(namespace, binding, operation);
        return { ok: false, error: denied };
      }
      // With JSPI the guest calls this from its serve loop, whose async context is not the
      // invocation's: the trace's own context makes the host call a child of its invocation.
      const trace = slot.trace;
      return trace ? trace.within(() => call(trace)) : call(undefined);
    };
    const httpClient = options.httpClient;
    slot.guest = (options.kind === "runnable" ? RunnableGuest : MeteredGuest).create(options.module, {
      hostCall: (binding, namespace, operation, payload) =>
        gated(binding, namespace, operation, (trace) => options.hostCall({ binding, namespace, operation, payload }, trace)),
      ...(httpClient && {
        httpClient: (binding: string, request: HttpClientRequest) =>
          gated(binding, CAP_HTTP_CLIENT, OP_HTTP_CLIENT_REQUEST, () => httpClient(binding, request)),
      }),
      tick: () => {
        const now = performance.now();
        if (now >= slot.deadline) return "trap";
        if (slot.sliceLength > 0) {
          slot.sliceEnd = now + slot.sliceLength;
          slot.sliceLength = 0;
        }
        return now >= slot.sliceEnd ? "yield" : "run";
      },
      consoleLog: options.onLog && ((line: string) => (slot.trace ? slot.trace.within(() => options.onLog!(line)) : options.onLog!(line))),
    });
  } catch (err) {
    const what = options.kind === "runnable" ? "the runnable's initialization (_start, init)" : "the actor's initialization";
    throw new WactorError(err instanceof DeadlineTrap ? "WACTOR_ERR_DEADLINE" : "WACTOR_ERR_MODULE_COMPILE", `${what} failed: ${(err as Error).message}`);
  }
  slot.counted = slot.guest.memoryBytes;
  return slot;
}
