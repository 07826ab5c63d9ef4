/**
 * Starts the OpenTelemetry SDK for a configuration (config.ts). Everything heavy is imported
 * here, lazily: a host with tracing off never loads the SDK or an exporter.
 */
import type { SpanExporter } from "@opentelemetry/sdk-trace-base";
import { WACTOR_VERSION as VERSION } from "../version.js";
import type { TracingConfig } from "./config.js";
import type { Tracing } from "./tracing.js";

export interface TracingOptions {
  /** Replaces the OTLP exporter (tests). */
  exporter?: SpanExporter;
  /** The resource's service.name unless OTEL_SERVICE_NAME says otherwise. Default "wactor". */
  serviceName?: string;
}

let contextManagerSet = false;

export async function startTracing(config: TracingConfig, options: TracingOptions = {}): Promise<Tracing> {
  const [{ context }, { AsyncLocalStorageContextManager }, sdk, resources, { Tracing: TracingFacade }] = await Promise.all([
    import("@opentelemetry/api"),
    import("@opentelemetry/context-async-hooks"),
    import("@opentelemetry/sdk-trace-base"),
    import("@opentelemetry/resources"),
    import("./tracing.js"),
  ]);
  // Context must follow awaits for spans to nest; one manager serves every host in the process.
  if (!contextManagerSet) {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    contextManagerSet = true;
  }
  const exporter = options.exporter ?? (await otlpExporter(config));
  // The batch processor reads OTEL_BSP_*; the provider reads OTEL_TRACES_SAMPLER(_ARG) and limits.
  const processor = new sdk.BatchSpanProcessor(exporter);
  const resource = resources
    .resourceFromAttributes({ "service.name": options.serviceName ?? "wactor", "service.version": VERSION })
    .merge(resources.detectResources({ detectors: [resources.envDetector] }));
  const provider = new sdk.BasicTracerProvider({ resource, spanProcessors: [processor] });
  return new TracingFacade(provider.getTracer("wactor", VERSION), provider);
}

async function otlpExporter(config: TracingConfig): Promise<SpanExporter> {
  const options = config.url === undefined ? {} : { url: config.url };
  if (config.protocol === "http/json") {
    const { OTLPTraceExporter } = await import("@opentelemetry/exporter-trace-otlp-http");
    return new OTLPTraceExporter(options);
  }
  const { OTLPTraceExporter } = await import("@opentelemetry/exporter-trace-otlp-proto");
  return new OTLPTraceExporter(options);
}
