/**
 * Runs an instrumentation off the host thread: Binaryen's asyncify (the fallback) takes 0.1 s
 * to seconds per module and a fatal error inside it must not take the host down; the JSPI
 * rewrite of a large module (tens of milliseconds for 2 MB) must not hold the host's thread.
 * Binaryen is loaded only when an asyncify transform is asked for.
 */
import { parentPort } from "node:worker_threads";
import { instrumentJspi } from "./instrument-jspi.js";
import type { TransformReply, TransformRequest } from "./transform-protocol.js";

const parent = parentPort!;
parent.on("message", (request: TransformRequest) => {
  void transform(request).then((reply) => parent.postMessage(reply, reply.ok ? [reply.bytes.buffer as ArrayBuffer] : []));
});

async function transform(request: TransformRequest): Promise<TransformReply> {
  try {
    const { bytes, report } =
      request.mode === "jspi" ? instrumentJspi(request.bytes, request.kind) : (await import("./instrument.js")).instrument(request.bytes, request.kind);
    return { id: request.id, ok: true, bytes, report };
  } catch (err) {
    return { id: request.id, ok: false, error: err instanceof Error ? err.message : String(err), detail: (err as { detail?: string }).detail };
  }
}
