/**
 * JSON <-> MessagePack for `wactor call`: typed encoders for the well-known operations,
 * plain MessagePack for the rest; replies are shown as JSON with bytes as text or base64.
 */
import { decodeFirst, encode, encodeBrokerMessage, encodeHttpRequest, OP_DELIVER_MESSAGE, OP_HANDLE_REQUEST } from "../codec/mod.js";
import { WactorError } from "../errors.js";

const text = (v: unknown, fallback = ""): string => (v === undefined || v === null ? fallback : typeof v === "string" ? v : JSON.stringify(v));
const utf8Strict = new TextDecoder("utf-8", { fatal: true });

function asObject(data: unknown): Record<string, unknown> {
  if (data === undefined) return {};
  if (data === null || typeof data !== "object" || Array.isArray(data))
    throw new WactorError("WACTOR_ERR_BAD_ARGUMENT", "--data must be a JSON object for this operation");
  return data as Record<string, unknown>;
}

/** Builds the operation's payload from parsed JSON (or raw text with --raw). */
export function encodeCallPayload(operation: string, data: unknown, raw: string | undefined): Uint8Array {
  if (raw !== undefined) return new TextEncoder().encode(raw);
  if (operation === OP_HANDLE_REQUEST) {
    const d = asObject(data);
    return encodeHttpRequest({
      method: text(d.method, "GET"),
      path: text(d.path, "/"),
      queryString: text(d.queryString ?? d.query_string, ""),
      header: Object.fromEntries(Object.entries(asObject(d.header ?? d.headers)).map(([k, v]) => [k.toLowerCase(), text(v)])),
      body: new TextEncoder().encode(text(d.body, "")),
    });
  }
  if (operation === OP_DELIVER_MESSAGE) {
    const d = asObject(data);
    return encodeBrokerMessage({ subject: text(d.subject, "wactor.call"), replyTo: text(d.replyTo, ""), body: new TextEncoder().encode(text(d.body, "")) });
  }
  return data === undefined ? new Uint8Array(0) : encode(data);
}

function bytesForDisplay(bytes: Uint8Array): unknown {
  try {
    const s = utf8Strict.decode(bytes);
    try {
      return JSON.parse(s) as unknown; // an HTTP body holding JSON reads best as JSON
    } catch {
      return s;
    }
  } catch {
    return { base64: Buffer.from(bytes).toString("base64") };
  }
}

function displayable(value: unknown): unknown {
  if (value instanceof Uint8Array) return bytesForDisplay(value);
  if (Array.isArray(value)) return value.map(displayable);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, displayable(v)]));
  if (typeof value === "bigint") return value.toString();
  return value;
}

/** The reply as JSON-able data: decoded MessagePack when it is that, else text or base64. */
export function decodeCallReply(reply: Uint8Array): unknown {
  if (reply.length === 0) return null;
  try {
    const value = decodeFirst(reply);
    if (value !== null && typeof value === "object") return displayable(value);
  } catch {
    // not MessagePack: fall through
  }
  return bytesForDisplay(reply);
}
