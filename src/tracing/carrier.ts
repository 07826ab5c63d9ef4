/**
 * W3C trace context as it crosses a process boundary (an HTTP header pair, a field of a
 * lattice invocation). Plain strings, no OpenTelemetry types: the wire code imports only this.
 */
export interface TraceCarrier {
  traceparent: string;
  tracestate?: string;
}

/** The carrier in a decoded value, or undefined when there is none or it is not strings. */
export function carrierOf(traceparent: unknown, tracestate: unknown): TraceCarrier | undefined {
  if (typeof traceparent !== "string" || traceparent.length === 0 || traceparent.length > 128) return undefined;
  return typeof tracestate === "string" && tracestate.length > 0 && tracestate.length <= 512 ? { traceparent, tracestate } : { traceparent };
}
