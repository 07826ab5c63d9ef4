/**
 * Runs the instrumentation off the host thread: Binaryen takes 0.1 s to seconds per module,
 * and a fatal error inside it must not take the host's own Binaryen state down with it.
 */
import { parentPort } from "node:worker_threads";
import { instrument } from "./instrument.js";
import type { TransformReply, TransformRequest } from "./transform-protocol.js";

const parent = parentPort!;
parent.on("message", (request: TransformRequest) => {
  let reply: TransformReply;
  try {
    const { bytes, report } = instrument(request.bytes, request.kind, request.mode);
    reply = { id: request.id, ok: true, bytes, report };
  } catch (err) {
    reply = { id: request.id, ok: false, error: err instanceof Error ? err.message : String(err), detail: (err as { detail?: string }).detail };
  }
  parent.postMessage(reply, reply.ok ? [reply.bytes.buffer as ArrayBuffer] : []);
});
