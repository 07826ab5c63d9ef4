import { asMap, bytes, int, str, stringMap } from "./fields.js";
import { decodeFirst, encode } from "./msgpack.js";

export interface HttpRequest {
  method: string;
  path: string;
  /** Without the leading '?'. */
  queryString: string;
  header: Record<string, string>;
  body: Uint8Array;
}

export interface HttpResponse {
  statusCode: number;
  status: string;
  header: Record<string, string>;
  body: Uint8Array;
}

// Every field is always sent: Rust waSCC actors reject a request that lacks one.
export const encodeHttpRequest = (r: HttpRequest): Uint8Array =>
  encode({ method: r.method, path: r.path, queryString: r.queryString, header: r.header, body: r.body });

export function decodeHttpRequest(payload: Uint8Array): HttpRequest {
  const m = asMap(decodeFirst(payload, "HandleRequest request"), "HandleRequest request");
  const w = "HandleRequest request";
  return {
    method: str(m, "method", w),
    path: str(m, "path", w),
    queryString: str(m, "queryString", w, ""),
    header: stringMap(m, "header", w),
    body: bytes(m, "body", w),
  };
}

export const encodeHttpResponse = (r: HttpResponse): Uint8Array => encode({ statusCode: r.statusCode, status: r.status, header: r.header, body: r.body });

export function decodeHttpResponse(payload: Uint8Array): HttpResponse {
  const w = "HandleRequest response";
  const m = asMap(decodeFirst(payload, w), w);
  return { statusCode: int(m, "statusCode", w, 200), status: str(m, "status", w, ""), header: stringMap(m, "header", w), body: bytes(m, "body", w) };
}
