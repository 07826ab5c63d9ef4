/**
 * `wascc:http_client` payloads: an actor's outbound request and the response it gets back.
 * The request's method and url must be present; header and body may be left out (empty).
 */
import { WactorError } from "../errors.js";
import { asMap, bytes, int, str, stringMap } from "./fields.js";
import { decodeFirst, encode } from "./msgpack.js";

export interface HttpClientRequest {
  method: string;
  /** Absolute http(s) URL. */
  url: string;
  header: Record<string, string>;
  body: Uint8Array;
}

export interface HttpClientResponse {
  statusCode: number;
  status: string;
  header: Record<string, string>;
  body: Uint8Array;
}

// Every field is always sent, so a strict decoder on the other side finds them all.
export const encodeHttpClientRequest = (r: HttpClientRequest): Uint8Array => encode({ method: r.method, url: r.url, header: r.header, body: r.body });

export function decodeHttpClientRequest(payload: Uint8Array): HttpClientRequest {
  const what = "http_client Request";
  const m = asMap(decodeFirst(payload, what), what);
  const method = str(m, "method", what);
  const url = str(m, "url", what);
  if (method === "") throw new WactorError("WACTOR_ERR_BAD_PAYLOAD", `${what}: field 'method' must not be empty`);
  if (url === "") throw new WactorError("WACTOR_ERR_BAD_PAYLOAD", `${what}: field 'url' must not be empty`);
  return { method, url, header: stringMap(m, "header", what), body: bytes(m, "body", what) };
}

export const encodeHttpClientResponse = (r: HttpClientResponse): Uint8Array =>
  encode({ statusCode: r.statusCode, status: r.status, header: r.header, body: r.body });

export function decodeHttpClientResponse(payload: Uint8Array): HttpClientResponse {
  const what = "http_client Request reply";
  const m = asMap(decodeFirst(payload, what), what);
  const statusCode = int(m, "statusCode", what);
  if (statusCode < 100 || statusCode > 599)
    throw new WactorError("WACTOR_ERR_BAD_PAYLOAD", `${what}: field 'statusCode' must be an HTTP status (100-599), got ${statusCode}`);
  return { statusCode, status: str(m, "status", what, ""), header: stringMap(m, "header", what), body: bytes(m, "body", what) };
}
