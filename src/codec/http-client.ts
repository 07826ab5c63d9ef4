/**
 * `wascc:http_client` `Request` (docs/runnables.md): an outgoing HTTP request an actor asks
 * the host to make, and its response. The response has the fields of the waSCC HTTP
 * Response (http.ts), so a provider can answer with the same encoder.
 */
import { asMap, bytes, int, str, stringMap } from "./fields.js";
import { decodeFirst, encode } from "./msgpack.js";

export const CAP_HTTP_CLIENT = "wascc:http_client";
export const OP_HTTP_CLIENT_REQUEST = "Request";

export interface HttpClientRequest {
  method: string;
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

export const encodeHttpClientRequest = (r: HttpClientRequest): Uint8Array => encode({ method: r.method, url: r.url, header: r.header, body: r.body });

export function decodeHttpClientRequest(payload: Uint8Array): HttpClientRequest {
  const what = "http_client Request";
  const m = asMap(decodeFirst(payload, what), what);
  return { method: str(m, "method", what, "GET"), url: str(m, "url", what), header: stringMap(m, "header", what), body: bytes(m, "body", what) };
}

export const encodeHttpClientResponse = (r: HttpClientResponse): Uint8Array =>
  encode({ statusCode: r.statusCode, status: r.status, header: r.header, body: r.body });

export function decodeHttpClientResponse(payload: Uint8Array): HttpClientResponse {
  const what = "http_client response";
  const m = asMap(decodeFirst(payload, what), what);
  return { statusCode: int(m, "statusCode", what), status: str(m, "status", what, ""), header: stringMap(m, "header", what), body: bytes(m, "body", what) };
}
