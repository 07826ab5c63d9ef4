/** JSON framing of control requests and replies; errors cross hosts as catalog code + detail. */
import { ERROR_CATALOG, WactorError, isWactorError, type ErrorCode } from "../errors.js";
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
  const error = isWactorError(err) ? err : new WactorError("WACTOR_ERR_BAD_ARGUMENT", (err as Error)?.message ?? String(err));
  return encodeJson({ ok: false, code: error.code, detail: error.detail ?? "" } satisfies ControlReply<never>);
}

export function unwrapReply<T>(bytes: Uint8Array): T {
  const reply = decodeJson<ControlReply<T>>(bytes);
  if (reply.ok) return reply.result;
  const code = Object.hasOwn(ERROR_CATALOG, reply.code) ? (reply.code as ErrorCode) : "WACTOR_ERR_BAD_ARGUMENT";
  throw new WactorError(code, reply.detail);
}
