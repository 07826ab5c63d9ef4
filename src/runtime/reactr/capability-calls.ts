/**
 * The Reactr imports that reach a capability, as host calls (docs/runnables.md): each becomes
 * an ordinary call under the runnable's identity, through the same gate, authorizer and
 * tracing as a waPC actor's `__host_call`, and its reply becomes the import's answer.
 */
import { encodeWriteLog } from "../../codec/core.js";
import {
  CAP_HTTP_CLIENT,
  OP_HTTP_CLIENT_REQUEST,
  decodeHttpClientResponse,
  encodeHttpClientRequest,
  type HttpClientRequest,
  type HttpClientResponse,
} from "../../codec/mod.js";
import { decodeKeyValueResponse, encodeKeyValueRequest } from "../../codec/keyvalue.js";
import { CAP_KEYVALUE, CAP_LOGGING, OP_WRITE_LOG } from "../../codec/operations.js";
import { OP_STATIC_READ, STATIC_NAMESPACE, decodeStaticReadReply, encodeStaticReadRequest } from "../../codec/static-files.js";
import type { HostCallResult } from "../wapc-guest.js";
import type { Job } from "./job.js";
import { sortedJson } from "./request-fields.js";

/** A host call to make, and how its settled reply becomes the import's return value. */
export interface CapabilityCall {
  readonly binding: string;
  readonly namespace: string;
  readonly operation: string;
  readonly payload: Uint8Array;
  /** An http_client Request as its fields, for a host that takes them (GuestHooks.httpClient). */
  readonly http?: HttpClientRequest;
  settle(result: HostCallResult, job: Job): number;
}

/**
 * An http_client Request: its fields go to a host that takes them as they are; its MessagePack
 * is made only for one that does not (a runnable on an executor thread).
 */
class HttpClientCall implements CapabilityCall {
  readonly binding = "default";
  readonly namespace = CAP_HTTP_CLIENT;
  readonly operation = OP_HTTP_CLIENT_REQUEST;
  readonly http: HttpClientRequest;
  readonly settle: CapabilityCall["settle"];

  constructor(http: HttpClientRequest, settle: CapabilityCall["settle"]) {
    this.http = http;
    this.settle = settle;
  }

  get payload(): Uint8Array {
    return encodeHttpClientRequest(this.http);
  }
}

/** The http_client reply: its fields when it came as them, else decoded (a malformed one is an FFI error). */
const clientResponse = (result: { payload: Uint8Array; fields?: HttpClientResponse }): HttpClientResponse | { failed: string } =>
  result.fields ?? decoded(() => decodeHttpClientResponse(result.payload));

/** The contract's answer to a capability the runnable may not use. */
export const NOT_ENABLED = "capability is not enabled";
/** -2: fetch_url's bad method or headers, cache_set's failure. */
const REFUSED = -2;

const METHODS = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"];
const utf8 = new TextDecoder();
const toUtf8 = new TextEncoder();

/** A denial by the claims gate or the authorizer reads as the disabled capability it is. */
function failureText(result: { ok: false; error: string }): string {
  return result.error.startsWith("WACTOR_ERR_PERMISSION_DENIED") ? NOT_ENABLED : result.error;
}

const call = (namespace: string, operation: string, payload: Uint8Array, settle: CapabilityCall["settle"]): CapabilityCall => ({
  binding: "default",
  namespace,
  operation,
  payload,
  settle,
});

/** Decodes a reply, turning a malformed one into an FFI error rather than a host failure. */
function decoded<T>(decode: () => T): T | { failed: string } {
  try {
    return decode();
  } catch (err) {
    return { failed: err instanceof Error ? err.message : String(err) };
  }
}

export function fetchUrl(methodCode: number, target: string, body: Uint8Array): CapabilityCall | number {
  const method = METHODS[methodCode];
  if (method === undefined) return REFUSED;
  const [url = "", ...segments] = target.split("::");
  const header: Record<string, string> = {};
  for (const segment of segments) {
    const parts = segment.split(":");
    if (parts.length !== 2) return REFUSED;
    header[parts[0]!] = parts[1]!;
  }
  if (body.length > 0 && !Object.keys(header).some((k) => k.toLowerCase() === "content-type")) header["Content-Type"] = "application/octet-stream";
  return new HttpClientCall({ method, url, header, body }, (result, job) => {
    if (!result.ok) return job.answer({ error: failureText(result) });
    const response = clientResponse(result);
    if ("failed" in response) return job.answer({ error: response.failed });
    if (response.statusCode > 299) return job.answer({ error: `${response.statusCode}: ${utf8.decode(response.body)}` });
    return job.answer({ data: response.body });
  });
}

export function graphqlQuery(endpoint: string, query: string): CapabilityCall {
  const body = toUtf8.encode(JSON.stringify({ query, variables: {} }));
  return new HttpClientCall({ method: "POST", url: endpoint, header: { "Content-Type": "application/json" }, body }, (result, job) => {
    if (!result.ok) return job.answer({ error: failureText(result) });
    const response = clientResponse(result);
    if ("failed" in response) return job.answer({ error: response.failed });
    const text = utf8.decode(response.body);
    if (response.statusCode > 299) return job.answer({ error: `non-200 HTTP response code; ${text}` });
    const parsed = parseGraphql(text);
    if (typeof parsed === "string") return job.answer({ error: parsed });
    return job.answer({ data: toUtf8.encode(parsed.json) });
  });
}

/** `{data, errors}`: the first error as Reactr words it, else `{"data":…}` with sorted keys. */
function parseGraphql(text: string): string | { json: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return `failed to Unmarshal response: ${(err as Error).message}`;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return "failed to Unmarshal response: not a JSON object";
  const { data, errors } = value as { data?: unknown; errors?: unknown };
  if (errors !== undefined && errors !== null) {
    if (!Array.isArray(errors)) return "failed to Unmarshal response: errors is not a list";
    for (const e of errors as Array<{ path?: unknown; message?: unknown }>) {
      if (e?.path !== undefined && typeof e.path !== "string") return "failed to Unmarshal response: an error's path is not a string";
    }
    const first = errors[0] as { path?: string; message?: string } | undefined;
    if (first) return `graphQL error; path: ${first.path ?? ""}, message: ${String(first.message ?? "")}`;
  }
  return { json: `{"data":${sortedJson(data ?? null)}}` };
}

export function cacheGet(key: string): CapabilityCall {
  return call(CAP_KEYVALUE, "Get", encodeKeyValueRequest("Get", { key }), (result, job) => {
    if (!result.ok) return job.answer({ error: failureText(result) });
    const reply = decoded(() => decodeKeyValueResponse("Get", result.payload));
    if ("failed" in reply) return job.answer({ error: reply.failed });
    return job.answer(reply.exists ? { data: toUtf8.encode(reply.value) } : { error: "key not found" });
  });
}

/** Values travel as the key-value contract's strings: UTF-8 (docs/runnables.md). */
export function cacheSet(key: string, value: Uint8Array, ttlSeconds: number): CapabilityCall {
  const payload = encodeKeyValueRequest("Set", { key, value: utf8.decode(value), expires: ttlSeconds > 0 ? ttlSeconds : 0 });
  return call(CAP_KEYVALUE, "Set", payload, (result) => (result.ok ? 0 : REFUSED));
}

/** Reactr's levels 1 error, 2 warn, 3 info, 4 debug are WriteLog's; anything else is info. */
export function logMsg(message: string, level: number): CapabilityCall {
  return call(CAP_LOGGING, OP_WRITE_LOG, encodeWriteLog({ level: level >= 1 && level <= 4 ? level : 3, body: message }), () => 0);
}

/** The runnable's own static files: answered by the host, no claim needed. */
export function staticFile(name: string): CapabilityCall {
  return call(STATIC_NAMESPACE, OP_STATIC_READ, encodeStaticReadRequest(name), (result, job) => {
    if (!result.ok) return job.answer({ error: failureText(result) });
    const reply = decoded(() => decodeStaticReadReply(result.payload));
    if ("failed" in reply) return job.answer({ error: reply.failed });
    if (!reply.enabled) return job.answer({ error: NOT_ENABLED });
    return job.answer(reply.found ? { data: reply.body } : { error: `failed to get static file: ${name}: not found` });
  });
}
