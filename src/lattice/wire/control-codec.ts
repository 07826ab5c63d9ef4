/** JSON framing of control requests and replies; errors cross hosts as catalog code + detail. */
import { ERROR_CATALOG, WactorError, toWactorError, type ErrorCode } from "../../errors.js";
import type { ControlReply } from "./control-types.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const encodeJson = (value: unknown): Uint8Array => encoder.encode(JSON.stringify(value));

export function decodeJson<T>(bytes: Uint8Array): T {
  if (bytes.length === 0) return {} as T;
  return JSON.parse(decoder.decode(bytes)) as T;
}

export function replyOk<T>(result: T): Uint8Array {
  return encodeJson({ ok: true, result } satisfies ControlReply<T>);
}

export function replyError(err: unknown): Uint8Array {
  const error = toWactorError(err);
  return encodeJson({ ok: false, code: error.code, detail: error.detail ?? "" } satisfies ControlReply<never>);
}

export function unwrapReply<T>(bytes: Uint8Array): T {
  const reply = decodeJson<ControlReply<T>>(bytes);
  if (reply.ok) return reply.result;
  // A code this version does not know (a newer host) is no fault of the caller's input.
  if (!Object.hasOwn(ERROR_CATALOG, reply.code)) throw new WactorError("WACTOR_ERR_INTERNAL", `${reply.code}: ${reply.detail}`);
  throw new WactorError(reply.code as ErrorCode, reply.detail);
}
