/**
 * `wascc:http_server`: one fastify listener per binding; every request, whatever its method,
 * path or content type, becomes a `HandleRequest` delivery to the bound actor. A host part
 * that answers requests itself (a bundle's Directive routes) mounts a listener with the same
 * values, limits, tracing and error mapping through `mount()`.
 *
 * Binding values:
 * - `PORT` (required): TCP port, 0 picks a free one (see `address()`).
 * - `HOST` (default 127.0.0.1): interface to listen on.
 * - `MAX_BODY` (default 1048576): largest request body in bytes; larger ones get 413.
 *
 * Failures reach the HTTP client as JSON `{ error: { code, message } }`: a WactorError keeps
 * its 5xx status (504 deadline, 503 busy with `Retry-After: 1`, 507 memory); anything else is
 * 500, because a 4xx from the host side (not bound, bad reply) is not the client's fault.
 */
import { METHODS } from "node:http";
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { CAP_HTTP_SERVER, OP_HANDLE_REQUEST, decodeHttpResponse, encodeHttpRequest, type HttpRequest, type HttpResponse } from "../../src/codec/mod.js";
import { WactorError, isWactorError } from "../../src/errors.js";
import { clientErrorHandler } from "../../src/http-client-error.js";
import type { ActorIdentity, BindingStatus, CapabilityProvider, HttpTarget, ProviderCall, ProviderContext } from "../../src/provider/contract.js";
import { bindingKey, integerValue, reasonOf, requireContext } from "../shared.js";
import { traceRequest } from "./trace.js";

export interface HttpServerProviderOptions {
  name?: string;
}

export const DEFAULT_MAX_BODY = 1024 * 1024;
// Framing headers are Node's job: an actor's stale content-length would corrupt the response.
const FRAMING = new Set(["content-length", "transfer-encoding", "connection", "keep-alive"]);

interface Listener {
  app: FastifyInstance;
  host: string;
  port: number;
}

interface HttpConfig {
  host: string;
  port: number;
  maxBody: number;
}

function parseConfig(values: Readonly<Record<string, string>>): HttpConfig {
  const host = values.HOST?.trim() || "127.0.0.1";
  const port = integerValue(values, "PORT", undefined, 65535);
  const maxBody = integerValue(values, "MAX_BODY", DEFAULT_MAX_BODY, Number.MAX_SAFE_INTEGER);
  if (maxBody === 0) throw new WactorError("WACTOR_ERR_BINDING_INVALID", "MAX_BODY must be at least 1 byte");
  return { host, port, maxBody };
}

/** The request's headers, names lower-cased (Node gives them so), repeated values joined (no entry arrays). */
function headersOf(request: FastifyRequest): Record<string, string> {
  const header: Record<string, string> = {};
  const headers = request.headers;
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (value !== undefined) header[name] = typeof value === "string" ? value : value.join(", ");
  }
  return header;
}

const errorBody = (error: WactorError): { error: { code: string; message: string } } => ({ error: { code: error.code, message: error.message } });

function sendError(reply: FastifyReply, status: number, code: string, message: string): void {
  if (status === 503) reply.header("retry-after", "1");
  void reply.code(status).type("application/json").send({ error: { code, message } });
}

/** Longest wait for requests in flight when a listener closes: the default actor deadline. */
const QUIESCE_GRACE_MS = 10_000;

/** Closes listeners, waiting up to `graceMs` for their requests in flight, then cutting the rest. */
async function closeAll(listeners: Listener[], graceMs: number): Promise<void> {
  await Promise.all(
    listeners.map(async ({ app }) => {
      const cut = setTimeout(() => app.server.closeAllConnections(), graceMs);
      try {
        await app.close();
      } finally {
        clearTimeout(cut);
      }
    }),
  );
}

/** A response finished while its listener closes ends its keep-alive socket, so closing need not wait for the client. */
function closeWhenClosing(app: FastifyInstance, reply: FastifyReply): void {
  if (!app.server.listening) reply.header("connection", "close");
}

/** A fastify request error as a catalog error: 413 and other 4xx are the client's, anything else a bug. */
export function requestError(err: FastifyError): WactorError {
  const detail = `${err.code ?? "fastify"}: ${err.message}`;
  if (err.statusCode === 413) return new WactorError("WACTOR_ERR_BODY_TOO_LARGE", detail, { cause: err });
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) return new WactorError("WACTOR_ERR_BAD_REQUEST", detail, { cause: err });
  return new WactorError("WACTOR_ERR_INTERNAL", detail, { cause: err });
}

/** The status an HTTP client sees for a failed delivery (see the file comment). */
export function statusForError(err: unknown): number {
  const status = err instanceof WactorError ? err.status : (err as { status?: unknown } | null)?.status;
  return typeof status === "number" && status >= 500 && status <= 599 ? status : 500;
}

export class HttpServerProvider implements CapabilityProvider {
  readonly capabilityId = CAP_HTTP_SERVER;
  readonly name: string;
  #context: ProviderContext | undefined;
  readonly #listeners = new Map<string, Listener>();

  constructor(options: HttpServerProviderOptions = {}) {
    this.name = options.name ?? "http-server";
  }

  async start(context: ProviderContext): Promise<void> {
    this.#context = context;
  }

  /**
   * Stops accepting and lets the requests in flight finish (their actors are still running):
   * idle keep-alive sockets close at once, busy ones once their response is sent, and any
   * left after `graceMs` (a client that never finishes its request) are cut.
   */
  quiesce(graceMs = QUIESCE_GRACE_MS): Promise<void> {
    const listeners = [...this.#listeners.values()];
    this.#listeners.clear();
    return closeAll(listeners, graceMs).then(() => undefined);
  }

  async stop(): Promise<void> {
    const listeners = [...this.#listeners.values()];
    this.#listeners.clear();
    await closeAll(listeners, 0);
  }

  bind(actor: ActorIdentity, binding: string, values: Readonly<Record<string, string>>): Promise<void> {
    const context = requireContext(this.#context, this.capabilityId);
    // The host's own path when it has one: a runnable then gets the request without MessagePack.
    const deliverHttp = context.deliverHttp;
    const target: HttpTarget = deliverHttp
      ? (request) => deliverHttp(actor.key, binding, request)
      : async (request) => decodeHttpResponse(await context.deliver(actor.key, binding, OP_HANDLE_REQUEST, encodeHttpRequest(request)));
    return this.#listen(context, actor.key, binding, values, target);
  }

  /**
   * A listener whose requests `target` answers instead of an actor: `owner` names what
   * mounted it (for logs, `address()` and `unbind()`), the values are a binding's.
   */
  mount(owner: string, binding: string, values: Readonly<Record<string, string>>, target: HttpTarget): Promise<void> {
    return this.#listen(requireContext(this.#context, this.capabilityId), owner, binding, values, target);
  }

  async #listen(context: ProviderContext, owner: string, binding: string, values: Readonly<Record<string, string>>, target: HttpTarget): Promise<void> {
    const config = parseConfig(values);
    const key = bindingKey(owner, binding);
    let port = config.port;
    // Rebinding replaces the binding's listener, which may hold the very port asked for.
    await this.unbind(owner, binding);
    for (const other of this.#listeners.values()) {
      if (config.port !== 0 && other.port === config.port)
        throw new WactorError("WACTOR_ERR_PORT_IN_USE", `port ${config.port} is already bound by this provider`);
    }
    const app = this.#createApp(context, owner, binding, config.maxBody, () => port, target);
    try {
      await app.listen({ port: config.port, host: config.host });
    } catch (err) {
      await app.close().catch(() => {});
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "EADDRINUSE") throw new WactorError("WACTOR_ERR_PORT_IN_USE", `port ${config.port} on ${config.host}`, { cause: err });
      throw new WactorError("WACTOR_ERR_BINDING_FAILED", `cannot listen on ${config.host}:${config.port}: ${reasonOf(err)}`, { cause: err });
    }
    const address = app.server.address();
    port = typeof address === "object" && address ? address.port : config.port;
    this.#listeners.set(key, { app, host: config.host, port });
    context.logger.info({ actor: owner, binding, host: config.host, port }, "http server listening");
  }

  async unbind(actorKey: string, binding: string): Promise<void> {
    const key = bindingKey(actorKey, binding);
    const listener = this.#listeners.get(key);
    this.#listeners.delete(key);
    if (listener) await closeAll([listener], QUIESCE_GRACE_MS);
  }

  bindingStatus(actorKey: string, binding: string): BindingStatus | undefined {
    const listener = this.#listeners.get(bindingKey(actorKey, binding));
    if (!listener) return undefined;
    return listener.app.server.listening ? { state: "ok" } : { state: "failed", reason: `not listening on ${listener.host}:${listener.port}` };
  }

  /** Where a binding listens (useful with PORT=0). */
  address(actorKey: string, binding: string): { host: string; port: number } | undefined {
    const listener = this.#listeners.get(bindingKey(actorKey, binding));
    return listener && { host: listener.host, port: listener.port };
  }

  async handleCall(call: ProviderCall): Promise<Uint8Array> {
    throw new WactorError(
      "WACTOR_ERR_UNKNOWN_OPERATION",
      `${this.capabilityId} takes no calls from actors (got '${call.operation}'); it only delivers HandleRequest`,
    );
  }

  #createApp(context: ProviderContext, actorKey: string, binding: string, maxBody: number, port: () => number, target: HttpTarget): FastifyInstance {
    const app = Fastify({
      logger: false,
      bodyLimit: maxBody,
      forceCloseConnections: "idle",
      exposeHeadRoutes: false,
      clientErrorHandler: clientErrorHandler(errorBody),
    });
    // The actor gets the body as raw bytes whatever its content type: no JSON or form parsing here.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: maxBody }, (_request, body, done) => done(null, body));
    app.setErrorHandler((err: FastifyError, _request, reply) => {
      // Only fastify's own request errors get here (413 body too large, 400 bad framing):
      // the client sees a catalog code, fastify's FST_* code stays in the detail.
      const error = requestError(err);
      if (error.code === "WACTOR_ERR_INTERNAL") context.logger.error({ actor: actorKey, binding, err }, "http request failed inside the provider");
      sendError(reply, error.status, error.code, error.message);
    });
    const fail = (reply: FastifyReply, err: unknown): void => {
      closeWhenClosing(app, reply);
      const status = statusForError(err);
      if (status >= 500 && status !== 503 && status !== 504) context.logger.warn({ actor: actorKey, binding, err }, "HandleRequest failed");
      sendError(reply, status, isWactorError(err) ? err.code : "WACTOR_ERR_INTERNAL", err instanceof Error ? err.message : String(err));
    };
    const respond = (reply: FastifyReply, response: HttpResponse): void => {
      if (!Number.isInteger(response.statusCode) || response.statusCode < 100 || response.statusCode > 599) {
        fail(reply, new WactorError("WACTOR_ERR_BAD_PAYLOAD", `HandleRequest response: statusCode ${response.statusCode} is not an HTTP status`));
        return;
      }
      closeWhenClosing(app, reply);
      const header = response.header;
      for (const name of Object.keys(header)) {
        if (!FRAMING.has(name.toLowerCase())) reply.header(name, header[name]!);
      }
      void reply.code(response.statusCode).send(Buffer.from(response.body.buffer, response.body.byteOffset, response.body.byteLength));
    };
    // Not async: a response ready at once (a direct call) is sent in this turn, with no promise
    // for fastify to wait on; one that comes later is sent when it comes.
    const serve = (request: FastifyRequest, reply: FastifyReply): Promise<void> | undefined => {
      const url = request.raw.url ?? "/";
      const q = url.indexOf("?");
      const body = request.body instanceof Uint8Array ? request.body : new Uint8Array(0);
      const httpRequest: HttpRequest = {
        method: request.method,
        path: q < 0 ? url : url.slice(0, q),
        queryString: q < 0 ? "" : url.slice(q + 1),
        header: headersOf(request),
        body,
      };
      let answer: HttpResponse | Promise<HttpResponse>;
      try {
        answer = target(httpRequest);
      } catch (err) {
        fail(reply, err);
        return undefined;
      }
      if (answer instanceof Promise) {
        return answer.then(
          (response) => respond(reply, response),
          (err: unknown) => fail(reply, err),
        );
      }
      respond(reply, answer);
      return undefined;
    };
    // Whether requests are traced is decided once per listener.
    const tracing = context.tracing;
    const handler = tracing
      ? (request: FastifyRequest, reply: FastifyReply): Promise<void> => traceRequest(tracing, request, reply, port(), async () => serve(request, reply))
      : serve;
    // Every method Node parses reaches the actor with its body (GET with a body, WebDAV's
    // PROPFIND); CONNECT never arrives as a request in Node and HEAD has no body.
    for (const method of METHODS) {
      if (method !== "CONNECT" && method !== "HEAD") app.addHttpMethod(method, { hasBody: true, overrideExisting: true });
    }
    app.all("/*", handler);
    app.all("/", handler);
    return app;
  }
}
