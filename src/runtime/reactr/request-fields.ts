/**
 * request_get_field / request_set_field / resp_set_header on the job's request
 * (docs/runnables.md): field types, the cases answered with -1, and the error texts.
 */
import type { FfiAnswer, JobRequest } from "./job.js";

export const FIELD_META = 0;
export const FIELD_BODY = 1;
export const FIELD_HEADER = 2;
export const FIELD_PARAMS = 3;
export const FIELD_STATE = 4;
export const FIELD_QUERY = 5;

const EMPTY = new Uint8Array(0);
const utf8 = new TextDecoder();
const toUtf8 = new TextEncoder();
const text = (value: string | undefined): { data: Uint8Array } => ({ data: value === undefined ? EMPTY : toUtf8.encode(value) });

export function getField(request: JobRequest | undefined, type: number, key: string): FfiAnswer {
  if (!request) return -1;
  switch (type) {
    case FIELD_META:
      if (key === "method") return text(request.method);
      if (key === "url") return text(request.url);
      if (key === "id") return text(request.requestId);
      if (key === "body") return { data: request.body };
      return text(undefined);
    case FIELD_BODY: {
      if (request.body.length === 0) return text(undefined);
      const object = jsonObject(request.body);
      const value = object?.[key];
      return typeof value === "string" ? text(value) : -1;
    }
    case FIELD_HEADER:
      return text(own(request.headers, key.toLowerCase()));
    case FIELD_PARAMS:
      return text(own(request.params, key));
    case FIELD_STATE:
      return { data: own(request.state, key) ?? EMPTY };
    case FIELD_QUERY: {
      let url: URL;
      try {
        url = new URL(request.url, "http://runnable.invalid");
      } catch {
        return -1;
      }
      return text(url.searchParams.get(key) ?? undefined);
    }
    default:
      return -1;
  }
}

export function setField(request: JobRequest | undefined, type: number, key: string, value: Uint8Array): FfiAnswer {
  if (!request) return { error: "req is not set" };
  const valueText = utf8.decode(value);
  switch (type) {
    case FIELD_META:
      if (key === "method") request.method = valueText;
      else if (key === "url") request.url = valueText;
      else if (key === "body") request.body = value.slice();
      else if (key !== "id") return { error: "key not found" };
      return { data: EMPTY };
    case FIELD_BODY: {
      if (request.body.length === 0) return { data: EMPTY };
      const object = jsonObject(request.body);
      if (!object) return { error: "failed to Unmarshal request body: not a JSON object" };
      object[key] = valueText;
      request.body = toUtf8.encode(sortedJson(object));
      return { data: EMPTY };
    }
    case FIELD_HEADER:
      ownMaps(request).headers[key] = valueText;
      return { data: EMPTY };
    case FIELD_PARAMS:
      ownMaps(request).params[key] = valueText;
      return { data: EMPTY };
    case FIELD_STATE: {
      // The state may be a plain object (a bundle step's): __proto__ must stay a plain key there.
      const state = ownMaps(request).state;
      if (key === "__proto__") Object.defineProperty(state, key, { value: value.slice(), enumerable: true, writable: true, configurable: true });
      else state[key] = value.slice();
      return { data: EMPTY };
    }
    default:
      return { error: "invalid field type" };
  }
}

export function setResponseHeader(request: JobRequest | undefined, key: string, value: string): void {
  if (!request) return;
  const headers = (request.respHeaders ??= {});
  // A header named __proto__ stays a plain key of the (plain) object.
  if (key === "__proto__") Object.defineProperty(headers, key, { value, enumerable: true, writable: true, configurable: true });
  else headers[key] = value;
}

/** The request with headers, params and state of its own (copies, without a prototype, when they were the caller's). */
function ownMaps(request: JobRequest): JobRequest {
  if (!request.ownMaps) {
    request.headers = Object.assign(Object.create(null) as Record<string, string>, request.headers);
    request.params = Object.assign(Object.create(null) as Record<string, string>, request.params);
    request.state = Object.assign(Object.create(null) as Record<string, Uint8Array>, request.state);
    request.ownMaps = true;
  }
  return request;
}

function own<T>(map: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(map, key) ? map[key] : undefined;
}

function jsonObject(body: Uint8Array): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(utf8.decode(body)) as unknown;
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** JSON with object keys sorted at every level, as Go's encoder writes maps. */
export function sortedJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(sortedJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${sortedJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}
