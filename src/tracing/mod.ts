export { carrierOf, type TraceCarrier } from "./carrier.js";
export { tracingConfig, tracesUrl, type OtlpProtocol, type TracingConfig } from "./config.js";
export { ATTR, SPAN } from "./names.js";
export { startTracing, type TracingOptions } from "./setup.js";
export type { Context, Span, SpanKindName, Tracing } from "./tracing.js";
