/**
 * One actor request through a binding: the allow rules for every hop, redirects followed by
 * hand (so a redirect cannot reach a host the binding does not allow), the response body
 * streamed and cut at MAX_RESPONSE_BYTES, and one TIMEOUT_MS for the whole exchange.
 */
import type { EventEmitter } from "node:events";
import { STATUS_CODES } from "node:http";
import type { Readable } from "node:stream";
import { errors, request, type Agent } from "undici";
import type { HttpClientRequest, HttpClientResponse } from "../../src/codec/mod.js";
import { WactorError, isWactorError } from "../../src/errors.js";
import type { TraceCarrier } from "../../src/tracing/carrier.js";
import type { Tracing } from "../../src/tracing/tracing.js";
import { redactUrl, reasonOf } from "../shared.js";
import { authFor, isAllowed, portOf, type HttpClientConfig } from "./policy.js";
import { traceHop } from "./trace.js";

// Framing and routing are the client's job; an actor's own would desync or misroute the request.
const DROPPED = new Set(["host", "content-length", "transfer-encoding", "connection", "keep-alive", "upgrade", "expect", "te", "trailer", "proxy-connection"]);
// What a request must not carry to another origin after a redirect (as fetch does).
const CREDENTIALS = ["authorization", "cookie", "proxy-authorization"];
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

interface Hop {
  statusCode: number;
  statusText: string;
  header: Record<string, string>;
  /** Set when the hop is the final answer; a redirect's body is thrown away unread. */
  body: Uint8Array | undefined;
  location: string | undefined;
}

const badPayload = (detail: string): WactorError => new WactorError("WACTOR_ERR_BAD_PAYLOAD", `http_client Request: ${detail}`);

/** The request's URL, if it is one this provider may send at all. */
function targetOf(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw badPayload(`field 'url' must be an absolute http(s) URL, got '${redactUrl(text)}'`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw badPayload(`field 'url': scheme '${url.protocol.slice(0, -1)}' is not allowed, only http and https`);
  if (url.username || url.password) throw badPayload(`field 'url' must not carry credentials; the binding's AUTH_HEADER_${url.hostname} value sends them`);
  return url;
}

function headersOf(given: Readonly<Record<string, string>>): Record<string, string> {
  const header: Record<string, string> = {};
  for (const [name, value] of Object.entries(given)) {
    const lower = name.toLowerCase();
    if (!TOKEN.test(name)) throw badPayload(`header name '${name}' is not an HTTP token`);
    if (/[\r\n\0]/.test(value)) throw badPayload(`header '${name}' has a line break in its value`);
    if (!DROPPED.has(lower)) header[lower] = value;
  }
  return header;
}

function responseHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const header: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) header[name] = Array.isArray(value) ? value.join(", ") : value;
  return header;
}

const hostOf = (url: URL): string => `${url.hostname}:${portOf(url)}`;

function notAllowed(config: HttpClientConfig, url: URL, hop: number): WactorError {
  const where = hop === 0 ? "" : ` (redirect ${hop})`;
  const shown = config.allowedHosts === "" ? "ALLOWED_HOSTS is not set, so nothing is allowed" : `ALLOWED_HOSTS is '${config.allowedHosts}'`;
  return new WactorError(
    "WACTOR_ERR_HTTP_HOST_NOT_ALLOWED",
    `host '${hostOf(url)}'${where} is not allowed: ${shown}; add '${url.hostname}' (or '${hostOf(url)}') to the binding's ALLOWED_HOSTS`,
  );
}

/** Reads a body to its end, or fails once it passes `max` bytes and drops the connection. */
async function readCapped(body: Readable, max: number, declared: string | string[] | undefined, url: URL): Promise<Uint8Array> {
  const tooLarge = (seen: string): WactorError =>
    new WactorError("WACTOR_ERR_HTTP_RESPONSE_TOO_LARGE", `${redactUrl(url.origin)}${url.pathname} sent ${seen}, more than MAX_RESPONSE_BYTES=${max}`);
  // Destroying the body below makes undici emit an abort error: ours is the one that counts.
  body.on("error", () => {});
  const length = typeof declared === "string" ? Number(declared) : NaN;
  if (length > max) {
    body.destroy();
    throw tooLarge(`content-length ${length}`);
  }
  // A declared length within the cap: undici reads exactly that many bytes (a longer body is a
  // protocol error, not more data), so the body can be collected in one go.
  if (length >= 0) return new Uint8Array(await (body as Readable & { arrayBuffer(): Promise<ArrayBuffer> }).arrayBuffer());
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) {
      body.destroy();
      throw tooLarge(`over ${max} bytes (cut off there)`);
    }
    chunks.push(chunk);
  }
  const out = Buffer.concat(chunks, size);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * The whole exchange's TIMEOUT_MS, as the signal undici aborts on. Not an EventTarget: undici
 * takes a signal with `on`/`once`/`removeListener` and no `aborted` field as an emitter, and
 * with an EventTarget (the AbortController it replaced, then an EventTarget of our own) each
 * request paid Node's abort-listener machinery and a `close` listener on the response body
 * that undici adds for it: the runnable fetch bench ran at 0.65-0.76 of its limit with it,
 * in-process 54 -> 48 and 43 -> 42 µs min, 79 -> 63 and 62 -> 47 µs median per exchange
 * without it (docs/runnables.md, "Measured"). Past its time it calls the listeners it holds
 * (undici then aborts the hop) and `expired` stops the next hop before it starts.
 */
class Deadline {
  expired = false;
  reason: Error | undefined;
  #listeners: Array<() => void> = [];
  readonly #timer: NodeJS.Timeout;

  constructor(ms: number) {
    this.#timer = setTimeout(() => {
      this.expired = true;
      this.reason = new Error(`timed out after ${ms} ms`);
      for (const listener of this.#listeners.splice(0)) listener();
    }, ms);
  }

  on(_event: "abort", listener: () => void): this {
    this.#listeners.push(listener);
    return this;
  }

  once(event: "abort", listener: () => void): this {
    return this.on(event, listener);
  }

  removeListener(_event: "abort", listener: () => void): this {
    const at = this.#listeners.indexOf(listener);
    if (at >= 0) this.#listeners.splice(at, 1);
    return this;
  }

  clear(): void {
    clearTimeout(this.#timer);
    this.#listeners.length = 0;
  }
}

async function sendHop(
  agent: Agent,
  config: HttpClientConfig,
  url: URL,
  method: string,
  header: Record<string, string>,
  body: Uint8Array | undefined,
  signal: Deadline,
  carrier: TraceCarrier | undefined,
): Promise<Hop> {
  const headers = carrier
    ? { ...header, traceparent: carrier.traceparent, ...(carrier.tracestate !== undefined && { tracestate: carrier.tracestate }) }
    : header;
  // What undici reads of an emitter signal is what Deadline has (its types name the whole EventEmitter).
  const emitter = signal as unknown as EventEmitter;
  const res = await request(url, { dispatcher: agent, method: method as "GET", headers, ...(body && body.length > 0 && { body }), signal: emitter });
  const location = res.headers.location;
  const redirect = REDIRECTS.has(res.statusCode) && config.maxRedirects > 0 && typeof location === "string";
  if (redirect) {
    // Read off (up to undici's small dump limit) so the connection can be reused.
    await res.body.dump();
    return { statusCode: res.statusCode, statusText: STATUS_CODES[res.statusCode] ?? "", header: {}, body: undefined, location };
  }
  const payload = await readCapped(res.body, config.maxResponseBytes, res.headers["content-length"], url);
  return {
    statusCode: res.statusCode,
    statusText: STATUS_CODES[res.statusCode] ?? "",
    header: responseHeaders(res.headers),
    body: payload,
    location: undefined,
  };
}

/** A failure of undici or the socket as a catalog error; ours pass through unchanged. */
function failureOf(err: unknown, signal: Deadline, config: HttpClientConfig, url: URL): WactorError {
  if (isWactorError(err)) return err;
  const where = `${redactUrl(url.origin)}${url.pathname}`;
  if (signal.expired || err instanceof errors.HeadersTimeoutError || err instanceof errors.BodyTimeoutError || err instanceof errors.ConnectTimeoutError) {
    return new WactorError("WACTOR_ERR_HTTP_TIMEOUT", `${where}: no complete response within TIMEOUT_MS=${config.timeoutMs}`, { cause: err });
  }
  if (err instanceof errors.InvalidArgumentError) return badPayload(reasonOf(err));
  const code = (err as { code?: unknown } | null)?.code;
  return new WactorError("WACTOR_ERR_HTTP_FAILED", `${where}: ${typeof code === "string" ? `${code}: ` : ""}${reasonOf(err)}`, { cause: err });
}

export async function exchange(agent: Agent, config: HttpClientConfig, call: HttpClientRequest, tracing: Tracing | undefined): Promise<HttpClientResponse> {
  let url = targetOf(call.url);
  let method = call.method.toUpperCase();
  if (!TOKEN.test(method) || method === "CONNECT") throw badPayload(`field 'method': '${call.method}' is not a method this provider sends`);
  let header = headersOf(call.header);
  let body: Uint8Array | undefined = call.body;
  const origin = url.origin;
  const deadline = new Deadline(config.timeoutMs);
  try {
    for (let hop = 0; ; hop++) {
      if (!isAllowed(config, url.hostname, portOf(url))) throw notAllowed(config, url, hop);
      // The actor's own credentials go only to the origin it named; the binding's go only to their host.
      const sent = url.origin === origin ? { ...header } : Object.fromEntries(Object.entries(header).filter(([name]) => !CREDENTIALS.includes(name)));
      const auth = authFor(config, url);
      if (auth !== undefined) sent.authorization = auth;
      const [target, verb, payload] = [url, method, body];
      const send = (carrier: TraceCarrier | undefined): Promise<Hop> => sendHop(agent, config, target, verb, sent, payload, deadline, carrier);
      let result: Hop;
      try {
        if (deadline.expired) throw deadline.reason;
        result = await (tracing ? traceHop(tracing, verb, target, hop, send) : send(undefined));
      } catch (err) {
        throw failureOf(err, deadline, config, target);
      }
      if (result.body !== undefined) {
        return { statusCode: result.statusCode, status: result.statusText || STATUS_CODES[result.statusCode] || "", header: result.header, body: result.body };
      }
      if (hop >= config.maxRedirects) {
        throw new WactorError("WACTOR_ERR_HTTP_TOO_MANY_REDIRECTS", `${redactUrl(call.url)}: still redirected after MAX_REDIRECTS=${config.maxRedirects}`);
      }
      let next: URL;
      try {
        next = new URL(result.location!, url);
      } catch {
        throw new WactorError("WACTOR_ERR_HTTP_FAILED", `${hostOf(url)} redirected to an invalid location`);
      }
      if (next.protocol !== "http:" && next.protocol !== "https:")
        throw new WactorError("WACTOR_ERR_HTTP_FAILED", `${hostOf(url)} redirected to a '${next.protocol.slice(0, -1)}' URL; only http and https are followed`);
      if (next.username || next.password) throw new WactorError("WACTOR_ERR_HTTP_FAILED", `${hostOf(url)} redirected to a URL with credentials in it`);
      // 303, and 301/302 after a POST, turn into a GET without a body, as browsers and fetch do.
      const becomesGet = result.statusCode === 303 ? method !== "HEAD" : (result.statusCode === 301 || result.statusCode === 302) && method === "POST";
      if (becomesGet) {
        method = "GET";
        body = undefined;
        header = Object.fromEntries(Object.entries(header).filter(([name]) => !name.startsWith("content-")));
      }
      url = next;
    }
  } finally {
    deadline.clear();
  }
}
