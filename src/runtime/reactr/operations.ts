/**
 * How a runnable is invoked (docs/runnables.md): the operations it serves, the job each
 * payload becomes, and the reply each outcome becomes. A runnable is an actor whose payloads
 * this translates, so hosts, lattices, registries and manifests move it like any actor.
 * - `run`: plain mode; the payload is the input, the reply the result; an error rejects
 *   with WACTOR_ERR_RUNNABLE_ERROR.
 * - `HandleRequest` (wascc:http_server): request mode; the reply is an HTTP response, an
 *   error a response with its code as status. From the http_server provider on this host the
 *   request comes as its fields and the response goes back as its fields: no MessagePack
 *   either way (docs/runnables.md); from anywhere else, as the waSCC payloads.
 * - `Job`: request mode from a MessagePack request; an error is a reply, not a rejection.
 */
import { STATUS_CODES } from "node:http";
import { randomUUID } from "node:crypto";
import { decodeHttpRequest, encodeHttpResponse, type HttpRequest, type HttpResponse } from "../../codec/http.js";
import { decodeJobRequest, encodeJobReply, OP_JOB } from "../../codec/job.js";
import { OP_HANDLE_REQUEST, OP_HEALTH_REQUEST } from "../../codec/operations.js";
import { isWactorError } from "../../errors.js";
import type { GuestInput } from "../suspendable-guest.js";
import type { GuestCallResult } from "../wapc-guest.js";
import { runErrJson, type Job, type JobRequest, type RunErr } from "./job.js";

export const OP_RUN = "run";

export interface Invocation {
  operation: typeof OP_RUN | typeof OP_HANDLE_REQUEST | typeof OP_JOB;
  input: Uint8Array;
  request: JobRequest | undefined;
  /** The request came as its fields: the response goes back as its fields. */
  direct: boolean;
}

const EMPTY = new Uint8Array(0);
const toUtf8 = new TextEncoder();

/** Maps with no prototype: a guest's keys (`__proto__`…) are plain keys. */
function plainMap<T>(entries: Iterable<[string, T]> = []): Record<string, T> {
  const map = Object.create(null) as Record<string, T>;
  for (const [k, v] of entries) map[k] = v;
  return map;
}

/** The decoder's map itself when it has no prototype already (the fast Job reader's), else a copy. */
function asPlainMap<T>(map: Record<string, T>): Record<string, T> {
  return Object.getPrototypeOf(map) === null ? map : plainMap(Object.entries(map));
}

/** Header names lower-cased: the map itself when they already are (the bundle runner sends them so). */
function lowerCased(headers: Record<string, string>): Record<string, string> {
  if (Object.getPrototypeOf(headers) === null && Object.keys(headers).every((k) => k === k.toLowerCase())) return headers;
  return plainMap(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

/**
 * A request from wascc:http_server. Its id, lower-cased headers, params, state and response
 * headers are made when the guest first touches them: a runnable that never does (an echo)
 * pays for none of them (docs/runtime.md, docs/runnables.md; a map with no prototype is a
 * dictionary of its own, about 0.4 KiB for the three).
 */
class HttpJobRequest implements JobRequest {
  method: string;
  url: string;
  body: Uint8Array;
  readonly #header: Record<string, string>;
  readonly ownMaps = true;
  #id: string | undefined;
  #headers: Record<string, string> | undefined;
  #params: Record<string, string> | undefined;
  #state: Record<string, Uint8Array> | undefined;
  #respHeaders: Record<string, string> | undefined;

  constructor(http: HttpRequest) {
    this.method = http.method;
    this.url = http.queryString === "" ? http.path : `${http.path}?${http.queryString}`;
    this.body = http.body;
    this.#header = http.header;
  }

  get requestId(): string {
    return (this.#id ??= randomUUID());
  }

  get headers(): Record<string, string> {
    return (this.#headers ??= plainMap(Object.entries(this.#header).map(([k, v]) => [k.toLowerCase(), v])));
  }

  get params(): Record<string, string> {
    return (this.#params ??= plainMap());
  }

  get state(): Record<string, Uint8Array> {
    return (this.#state ??= plainMap());
  }

  /** A plain object (see JobRequest.respHeaders), written only through setResponseHeader. */
  get respHeaders(): Record<string, string> {
    return (this.#respHeaders ??= {});
  }

  /** The response's headers: a copy of what the guest set, or a new empty map when it set none. */
  responseHeaders(): Record<string, string> {
    return this.#respHeaders === undefined ? {} : { ...this.#respHeaders };
  }
}

/** The job an invocation runs, or its answer when no job runs at all. */
export function openInvocation(operation: string, input: GuestInput): Invocation | GuestCallResult {
  if (!(input instanceof Uint8Array)) {
    if (operation === OP_HANDLE_REQUEST && !("requestId" in input)) return { operation, input: input.body, request: new HttpJobRequest(input), direct: true };
    // A bundle step's job as its fields: the engine's request object itself, its maps the
    // caller's until a write copies them (JobRequest.ownMaps); state read own keys only.
    if (operation === OP_JOB && "requestId" in input) return { operation, input: input.body, request: input, direct: true };
    return { ok: false, error: `a runnable takes '${operation}' only as its MessagePack payload` };
  }
  const payload = input;
  try {
    if (operation === OP_RUN) return { operation, input: payload, request: undefined, direct: false };
    if (operation === OP_HANDLE_REQUEST) {
      const http = decodeHttpRequest(payload);
      const request = new HttpJobRequest(http);
      return { operation, input: http.body, request, direct: false };
    }
    if (operation === OP_JOB) {
      const job = decodeJobRequest(payload);
      const request: JobRequest = {
        method: job.method,
        url: job.url,
        requestId: job.requestId,
        body: job.body,
        // Looked up lower-cased (request-fields.ts), as an HTTP request's are.
        headers: lowerCased(job.headers),
        params: asPlainMap(job.params),
        state: asPlainMap(job.state),
        ownMaps: true,
      };
      return { operation, input: job.body, request, direct: false };
    }
    // A runnable has no health of its own to report: it is healthy while it runs.
    if (operation === OP_HEALTH_REQUEST) return { ok: true, payload: EMPTY };
    return { ok: false, error: `a runnable serves ${OP_RUN}, ${OP_HANDLE_REQUEST} and ${OP_JOB}, not '${operation}'` };
  } catch (err) {
    if (isWactorError(err, "WACTOR_ERR_BAD_PAYLOAD")) return { ok: false, code: "WACTOR_ERR_BAD_PAYLOAD", error: err.detail ?? err.message };
    throw err;
  }
}

/** The reply for a job that ran to its end (or reported an error before trapping). */
export function invocationReply(invocation: Invocation, job: Job): GuestCallResult {
  const output = job.result ?? EMPTY;
  const error = job.error;
  switch (invocation.operation) {
    case OP_RUN:
      return error ? { ok: false, code: "WACTOR_ERR_RUNNABLE_ERROR", error: runErrJson(error) } : { ok: true, payload: output };
    case OP_JOB: {
      const headers = job.request?.respHeaders ?? {};
      // The job's response headers are its own map: handed over as they are when direct.
      if (invocation.direct) return { ok: true, payload: EMPTY, job: error ? { error } : { output, headers } };
      return { ok: true, payload: encodeJobReply(error ? { error } : { output, headers: { ...headers } }) };
    }
    case OP_HANDLE_REQUEST: {
      // The request is always an HttpJobRequest here; its response headers come as a fresh map.
      const response = httpResponse(job.request instanceof HttpJobRequest ? job.request.responseHeaders() : {}, output, error);
      return invocation.direct ? { ok: true, payload: EMPTY, response } : { ok: true, payload: encodeHttpResponse(response) };
    }
  }
}

/** A job's outcome as the HTTP response HandleRequest answers with; `headers` is the response's own. */
function httpResponse(headers: Record<string, string>, output: Uint8Array, error: RunErr | undefined): HttpResponse {
  if (!error) return { statusCode: 200, status: "OK", header: headers, body: output };
  const statusCode = error.code >= 200 && error.code <= 599 ? error.code : 500;
  const body = toUtf8.encode(JSON.stringify({ status: statusCode, message: error.message }));
  return { statusCode, status: STATUS_CODES[statusCode] ?? "", header: { ...headers, "Content-Type": "application/json" }, body };
}
