/**
 * `Job`: one unit of work in a request's context (docs/runnables.md). A runnable answers it
 * by running `run_e` in request mode; a waPC actor may implement the same operation to take
 * part in the same steps. An error the worker reports is a reply (`error`), not a failed
 * invocation: the caller decides what an error means.
 */
import { asMap, bytes, int, str, stringMap, type WireMap } from "./fields.js";
import { NOT_FAST, writeJobReply, writeJobRequest, type WireJobReply, type WireJobRequest } from "./job-wire.js";
import { readJobReply, readJobRequest } from "./job-wire-read.js";
import { decodeFirst, encode } from "./msgpack.js";

export const OP_JOB = "Job";

/** A job's request and reply, defined beside their hand-written writer (job-wire.ts). */
export type JobRequest = WireJobRequest;
export type JobReply = WireJobReply;

/** The hand-written writer (job-wire.ts) for the usual shapes, the generic encoder otherwise. */
export function encodeJobRequest(r: JobRequest): Uint8Array {
  const fast = writeJobRequest(r);
  return fast !== NOT_FAST ? fast : encodeJobRequestGeneric(r);
}

export const encodeJobRequestGeneric = (r: JobRequest): Uint8Array =>
  encode({ method: r.method, url: r.url, requestId: r.requestId, body: r.body, headers: r.headers, params: r.params, state: r.state });

export function decodeJobRequest(payload: Uint8Array): JobRequest {
  return readJobRequest(payload) ?? decodeJobRequestGeneric(payload);
}

export function decodeJobRequestGeneric(payload: Uint8Array): JobRequest {
  const what = "Job request";
  const m = asMap(decodeFirst(payload, what), what);
  return {
    method: str(m, "method", what, ""),
    url: str(m, "url", what, ""),
    requestId: str(m, "requestId", what, ""),
    body: bytes(m, "body", what),
    headers: stringMap(m, "headers", what),
    params: stringMap(m, "params", what),
    state: bytesMap(m, "state", what),
  };
}

export function encodeJobReply(r: JobReply): Uint8Array {
  const fast = writeJobReply(r);
  return fast !== NOT_FAST ? fast : encodeJobReplyGeneric(r);
}

export const encodeJobReplyGeneric = (r: JobReply): Uint8Array =>
  encode("error" in r ? { error: { code: r.error.code, message: r.error.message } } : { output: r.output, headers: r.headers });

export function decodeJobReply(payload: Uint8Array): JobReply {
  return readJobReply(payload) ?? decodeJobReplyGeneric(payload);
}

export function decodeJobReplyGeneric(payload: Uint8Array): JobReply {
  const what = "Job reply";
  const m = asMap(decodeFirst(payload, what), what);
  if (m.error !== undefined && m.error !== null) {
    const e = asMap(m.error, `${what}.error`);
    return { error: { code: int(e, "code", `${what}.error`, 0), message: str(e, "message", `${what}.error`, "") } };
  }
  return { output: bytes(m, "output", what), headers: stringMap(m, "headers", what) };
}

/** A map of byte values (`bin`, or `str` taken as UTF-8). */
function bytesMap(map: WireMap, field: string, what: string): Record<string, Uint8Array> {
  const v = map[field];
  if (v === undefined || v === null) return {};
  const m = asMap(v, `${what}.${field}`);
  const out: Record<string, Uint8Array> = {};
  for (const key of Object.keys(m)) out[key] = bytes(m, key, `${what}.${field}`);
  return out;
}
