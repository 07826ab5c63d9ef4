/**
 * What travels in the two rings between the host thread and an instance worker: record
 * kinds and their payload layouts. Anything too large for a ring goes as a port message,
 * announced by a FROM_PORT record so that order is kept.
 */

/** Host -> worker. */
export const IN_INVOKE = 1; // payload: operation + body (encodeNamed); id = invocation id
export const IN_HOST_REPLY_OK = 2; // payload: the host call's result
export const IN_HOST_REPLY_ERROR = 3; // payload: UTF-8 error text
export const IN_FROM_PORT = 4; // the next inbound record is a port message (too large)

/** Worker -> host. */
export const OUT_OK = 11; // id = invocation id, extra = memory pages, payload = reply
export const OUT_GUEST_ERROR = 12; // payload = UTF-8 error text
export const OUT_TRAP = 13;
export const OUT_MEMORY_LIMIT = 14;
export const OUT_HOST_CALL = 15; // payload: binding, namespace, operation + body (encodeNamed)
export const OUT_DENIED = 16; // extra = count, payload: capability, binding, operation (encodeNamed)

/** A failed host call as the guest reads it: led by the stable code so actors can branch on it. */
export function guestErrorText(err: unknown): string {
  return err instanceof WactorError ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err);
}

/** Records above this size travel as port messages. */
export const MAX_INLINE_BYTES = 64 * 1024;
export const RING_BYTES = 1024 * 1024;

import { WactorError } from "../errors.js";

const utf8 = new TextEncoder();
const text = new TextDecoder();

// Operation names, capability ids and binding names repeat: encode each once.
const nameCache = new Map<string, Uint8Array>();
function encodeName(name: string): Uint8Array {
  let bytes = nameCache.get(name);
  if (!bytes) {
    bytes = utf8.encode(name);
    if (nameCache.size < 1024) nameCache.set(name, bytes);
  }
  return bytes;
}

/** Short strings (u16 length-prefixed) followed by a body: one copy, no MessagePack. */
export function encodeNamed(names: readonly string[], body: Uint8Array): Uint8Array {
  const encoded = names.map(encodeName);
  const size = encoded.reduce((sum, e) => sum + 2 + e.length, 0) + body.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const e of encoded) {
    out[at] = e.length & 0xff;
    out[at + 1] = e.length >> 8;
    out.set(e, at + 2);
    at += 2 + e.length;
  }
  out.set(body, at);
  return out;
}

/** The first name's raw UTF-8 bytes and the body: the worker hands both to the guest as they are. */
export function splitFirstName(bytes: Uint8Array): { name: Uint8Array; body: Uint8Array } {
  const length = bytes[0]! | (bytes[1]! << 8);
  return { name: bytes.subarray(2, 2 + length), body: bytes.subarray(2 + length) };
}

export function decodeNamed(bytes: Uint8Array, count: number): { names: string[]; body: Uint8Array } {
  const names: string[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    const length = bytes[at]! | (bytes[at + 1]! << 8);
    names.push(text.decode(bytes.subarray(at + 2, at + 2 + length)));
    at += 2 + length;
  }
  return { names, body: bytes.subarray(at) };
}
