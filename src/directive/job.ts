/**
 * The narrow interface between the sequence engine and whatever runs functions: a function
 * (runnable/actor) is invoked with operation `Job`; its payload and reply are MessagePack.
 * A RunErr is a reply; anything else that goes wrong (trap, deadline, missing function) is a
 * rejected promise with a WactorError, which the engine treats as an infrastructure failure.
 */
import { Decoder, Encoder } from "@msgpack/msgpack";
import { WactorError } from "../errors.js";
import type { RunErr } from "./go-json.js";

export const JOB_OPERATION = "Job";

export interface JobRequest {
  method: string;
  /** Request URI (escaped path and query), or a schedule's name. */
  url: string;
  requestId: string;
  body: Uint8Array;
  headers: Record<string, string>;
  params: Record<string, string>;
  /** State values are opaque bytes. */
  state: Record<string, Uint8Array>;
}

export type JobReply = { output: Uint8Array; headers: Record<string, string> } | { error: RunErr };

export interface StepInvoker {
  /** Runs the function bound to `fqfn`; rejects (WactorError) on an infrastructure failure. */
  invoke(fqfn: string, request: JobRequest, signal: AbortSignal): Promise<JobReply>;
}

// One codec each, reused: `encode()`/`decode()` build a new one (and its buffers) per call,
// and a sequence encodes and decodes once per step.
const encoder = new Encoder();
const decoder = new Decoder();

export function encodeJobRequest(request: JobRequest): Uint8Array {
  return encoder.encode(request);
}

const bad = (detail: string): WactorError => new WactorError("WACTOR_ERR_BAD_PAYLOAD", `Job reply: ${detail}`);

function stringRecord(value: unknown, field: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) throw bad(`'${field}' is not a map`);
  for (const v of Object.values(value)) if (typeof v !== "string") throw bad(`'${field}' has a value that is not a string`);
  return value as Record<string, string>;
}

/** Decodes and checks a function's reply: `{output, headers}` or `{error: {code, message}}`. */
export function decodeJobReply(bytes: Uint8Array): JobReply {
  let raw: unknown;
  try {
    raw = decoder.decode(bytes);
  } catch (err) {
    throw bad(`not MessagePack (${(err as Error).message})`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw bad("not a map");
  const reply = raw as { output?: unknown; headers?: unknown; error?: unknown };
  if (reply.error !== undefined && reply.error !== null) {
    const e = reply.error as { code?: unknown; message?: unknown };
    if (typeof e !== "object" || typeof (e.code ?? 0) !== "number" || typeof (e.message ?? "") !== "string") throw bad("'error' is not {code, message}");
    return { error: { code: Math.trunc((e.code as number | undefined) ?? 0), message: (e.message as string | undefined) ?? "" } };
  }
  const output = reply.output ?? new Uint8Array();
  if (!(output instanceof Uint8Array)) throw bad("'output' is not bytes");
  return { output, headers: stringRecord(reply.headers, "headers") };
}

/** A StepInvoker over a byte-level call (`Job` operation on the function's actor). */
export function invokerFromCall(call: (fqfn: string, operation: string, payload: Uint8Array, signal: AbortSignal) => Promise<Uint8Array>): StepInvoker {
  return {
    async invoke(fqfn, request, signal) {
      return decodeJobReply(await call(fqfn, JOB_OPERATION, encodeJobRequest(request), signal));
    },
  };
}
