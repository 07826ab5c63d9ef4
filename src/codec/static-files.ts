/**
 * `wactor:static` `Read`: an actor's read of its own static files (docs/runnables.md). The
 * host answers it from the actor's static source; no claim is needed, nothing leaves the host.
 */
import { asMap, bool, bytes, str } from "./fields.js";
import { decodeFirst, encode } from "./msgpack.js";

export const STATIC_NAMESPACE = "wactor:static";
export const OP_STATIC_READ = "Read";

/** `enabled`: the actor has a static source at all; `found`: the file exists in it. */
export interface StaticReadReply {
  enabled: boolean;
  found: boolean;
  body: Uint8Array;
}

export const encodeStaticReadRequest = (name: string): Uint8Array => encode({ name });

export function decodeStaticReadRequest(payload: Uint8Array): string {
  const what = "static Read request";
  return str(asMap(decodeFirst(payload, what), what), "name", what);
}

export const encodeStaticReadReply = (r: StaticReadReply): Uint8Array => encode({ enabled: r.enabled, found: r.found, body: r.body });

export function decodeStaticReadReply(payload: Uint8Array): StaticReadReply {
  const what = "static Read reply";
  const m = asMap(decodeFirst(payload, what), what);
  return { enabled: bool(m, "enabled", what), found: bool(m, "found", what), body: bytes(m, "body", what) };
}
