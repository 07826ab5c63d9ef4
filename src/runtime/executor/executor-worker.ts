/**
 * An executor thread: the metered pools of the actors placed on it, run by its own scheduler
 * exactly as on the host thread. Host calls go to the host thread as messages; the guest is
 * suspended meanwhile and the executor runs others (executor-protocol.ts).
 */
import { parentPort } from "node:worker_threads";
import { toWactorError } from "../../errors.js";
import type { FromExecutor, PoolSizes, ToExecutor, WireError } from "./executor-protocol.js";
import type { InvocationTrace } from "../invocation-trace.js";
import { MeteredPool } from "../metered/metered-pool.js";
import { ownBuffer } from "../owned-bytes.js";

/** What a traced invocation carries over here: its call id, so its host calls and denials can name it. */
interface CallTrace extends InvocationTrace {
  call: number;
}

function callTrace(call: number): CallTrace {
  return {
    call,
    queued: () => undefined,
    started: () => undefined,
    within: (fn) => fn(),
    denied: (capabilityId, binding, operation) => send({ t: "traceDenied", call, capabilityId, binding, operation }),
  };
}

const parent = parentPort!;
const pools = new Map<number, MeteredPool>();
const hostCalls = new Map<number, { resolve: (payload: Uint8Array) => void; reject: (err: Error) => void }>();
let nextHostCall = 0;

const send = (message: FromExecutor, transfer: ArrayBuffer[] = []): void => parent.postMessage(message, transfer);
const sizesOf = (pool: MeteredPool | undefined): PoolSizes => ({ size: pool?.size ?? 0, memoryBytes: pool?.memoryBytes ?? 0 });
const wireError = (err: unknown): WireError => {
  const error = toWactorError(err);
  return { code: error.code, detail: error.detail ?? "" };
};
/** A payload that owns its whole buffer moves instead of being copied. */
const transferable = (bytes: Uint8Array): ArrayBuffer[] =>
  bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer ? [bytes.buffer] : [];

parent.on("message", (message: ToExecutor) => {
  switch (message.t) {
    case "start": {
      const id = message.pool;
      const pool = new MeteredPool({
        ...message.spec,
        hostCall: ({ binding, namespace, operation, payload }, trace) =>
          new Promise<Uint8Array>((resolve, reject) => {
            const hostCall = nextHostCall++;
            hostCalls.set(hostCall, { resolve, reject });
            const call = (trace as CallTrace | undefined)?.call;
            send({ t: "hostCall", pool: id, hostCall, ...(call !== undefined && { call }), binding, namespace, operation, payload: ownBuffer(payload) });
          }),
        onLog: (line) => send({ t: "log", pool: id, line }),
        onDenied: (capabilityId, binding, operation, count) => send({ t: "denied", pool: id, capabilityId, binding, operation, count }),
        onReplaced: (reason) => send({ t: "replaced", pool: id, reason }),
      });
      pool.start().then(
        () => {
          pools.set(id, pool);
          send({ t: "started", pool: id, sizes: sizesOf(pool) });
        },
        (err: unknown) => send({ t: "started", pool: id, error: wireError(err), sizes: sizesOf(undefined) }),
      );
      return;
    }
    case "invoke": {
      const pool = pools.get(message.pool);
      const call = message.call;
      if (!pool) return send({ t: "done", call, ok: false, error: { code: "WACTOR_ERR_ACTOR_STOPPED", detail: "" }, sizes: sizesOf(undefined) });
      pool.invoke(message.operation, message.payload, message.traced ? callTrace(call) : undefined).then(
        (reply) => {
          const payload = ownBuffer(reply);
          send({ t: "done", call, ok: true, payload, sizes: sizesOf(pool) }, transferable(payload));
        },
        (err: unknown) => send({ t: "done", call, ok: false, error: wireError(err), sizes: sizesOf(pool) }),
      );
      return;
    }
    case "reply": {
      const waiting = hostCalls.get(message.hostCall);
      if (!waiting) return;
      hostCalls.delete(message.hostCall);
      if (message.ok) waiting.resolve(message.payload);
      else waiting.reject(new Error(message.error));
      return;
    }
    case "drain":
    case "stop": {
      const pool = pools.get(message.pool);
      const id = message.pool;
      const done = pool ? (message.t === "drain" ? pool.drain(message.timeoutMs) : pool.stop()) : Promise.resolve();
      void done.finally(() => {
        pools.delete(id);
        send({ t: "stopped", pool: id });
      });
      return;
    }
  }
});
