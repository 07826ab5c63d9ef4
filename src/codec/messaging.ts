import { asMap, bytes, int, str } from "./fields.js";
import { decodeFirst, encode } from "./msgpack.js";

/** Publish (actor -> host) and DeliverMessage (host -> actor) share this shape. */
export interface BrokerMessage {
  subject: string;
  replyTo: string;
  body: Uint8Array;
}

export interface RequestMessage {
  subject: string;
  body: Uint8Array;
  /** Milliseconds. */
  timeout: number;
}

export const encodeBrokerMessage = (m: BrokerMessage): Uint8Array => encode({ subject: m.subject, replyTo: m.replyTo, body: m.body });

export function decodeBrokerMessage(payload: Uint8Array, what = "message"): BrokerMessage {
  const m = asMap(decodeFirst(payload, what), what);
  return { subject: str(m, "subject", what), replyTo: str(m, "replyTo", what, ""), body: bytes(m, "body", what) };
}

export const encodeRequestMessage = (m: RequestMessage): Uint8Array => encode({ subject: m.subject, body: m.body, timeout: m.timeout });

export function decodeRequestMessage(payload: Uint8Array): RequestMessage {
  const what = "messaging Request";
  const m = asMap(decodeFirst(payload, what), what);
  return { subject: str(m, "subject", what), body: bytes(m, "body", what), timeout: int(m, "timeout", what, 1000) };
}
