/**
 * The client span of one outbound request hop: its context goes out in the request's W3C
 * `traceparent` (and `tracestate`), so a traced server continues the actor's trace. Query
 * strings stay out of the attributes: they often carry keys.
 */
import { ATTR, SPAN } from "../../src/tracing/names.js";
import type { TraceCarrier } from "../../src/tracing/carrier.js";
import type { Tracing } from "../../src/tracing/tracing.js";
import { portOf } from "./policy.js";

export function traceHop<T extends { statusCode: number }>(
  tracing: Tracing,
  method: string,
  url: URL,
  hop: number,
  send: (carrier: TraceCarrier | undefined) => Promise<T>,
): Promise<T> {
  const span = tracing.start(SPAN.httpClient(method), "client", {
    [ATTR.httpMethod]: method,
    [ATTR.urlScheme]: url.protocol.slice(0, -1),
    [ATTR.serverAddress]: url.hostname,
    [ATTR.serverPort]: portOf(url),
    [ATTR.urlPath]: url.pathname,
    ...(hop > 0 && { [ATTR.httpResendCount]: hop }),
  });
  return tracing
    .run(tracing.enter(span), () => send(tracing.inject()))
    .then(
      (result) => {
        span.setAttribute(ATTR.httpStatus, result.statusCode);
        // For a client, a 4xx is a failed request too (HTTP semantic conventions).
        if (result.statusCode >= 400) tracing.fail(span, String(result.statusCode), `HTTP ${result.statusCode}`);
        else tracing.end(span);
        return result;
      },
      (err: unknown) => {
        tracing.end(span, err);
        throw err;
      },
    );
}
