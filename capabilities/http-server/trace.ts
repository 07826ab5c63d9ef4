/**
 * The HTTP server span of one request: it continues the client's W3C `traceparent` (or starts
 * a trace), and the actor's invocation runs inside it. Used only while the host traces.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import { ATTR, SPAN } from "../../src/tracing/names.js";
import type { Tracing } from "../../src/tracing/tracing.js";

const single = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

export function traceRequest(tracing: Tracing, request: FastifyRequest, reply: FastifyReply, port: number, serve: () => Promise<void>): Promise<void> {
  const traceparent = single(request.headers.traceparent);
  const tracestate = single(request.headers.tracestate);
  const parent = tracing.extract(traceparent === undefined ? undefined : { traceparent, ...(tracestate !== undefined && { tracestate }) });
  const url = request.raw.url ?? "/";
  const q = url.indexOf("?");
  const span = tracing.start(
    SPAN.http(request.method),
    "server",
    {
      [ATTR.httpMethod]: request.method,
      [ATTR.urlPath]: q < 0 ? url : url.slice(0, q),
      [ATTR.urlScheme]: "http",
      [ATTR.serverPort]: port,
    },
    parent,
  );
  return tracing.run(tracing.enter(span, parent), serve).then(
    () => {
      const status = reply.statusCode;
      span.setAttribute(ATTR.httpStatus, status);
      // A 4xx is the client's outcome, not a failure of this server (HTTP semantic conventions).
      if (status >= 500) tracing.fail(span, String(status), `HTTP ${status}`);
      else tracing.end(span);
    },
    (err: unknown) => {
      tracing.end(span, err);
      throw err;
    },
  );
}
