/**
 * The thin tracing facade the host, the providers and the lattice use (docs/tracing.md). One
 * exists only while an exporter is configured (setup.ts): everywhere else a `Tracing |
 * undefined` is checked once, and untraced code paths never reach OpenTelemetry.
 * Context follows async code through the global AsyncLocalStorage context manager; where work
 * leaves the caller's async context (an actor pool's queue, a worker thread) it is carried
 * explicitly (runtime/invocation-trace.ts).
 */
import {
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { isWactorError } from "../errors.js";
import type { TraceCarrier } from "./carrier.js";
import { ATTR, OUTCOME_OK } from "./names.js";

export type { Context, Span } from "@opentelemetry/api";

export type SpanKindName = "internal" | "server" | "client" | "producer" | "consumer";

const KINDS: Record<SpanKindName, SpanKind> = {
  internal: SpanKind.INTERNAL,
  server: SpanKind.SERVER,
  client: SpanKind.CLIENT,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
};

/** What ends with the tracer: the span processor (and through it the exporter). */
export interface SpanPipeline {
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

const propagator = new W3CTraceContextPropagator();

export class Tracing {
  readonly #tracer: Tracer;
  readonly #pipeline: SpanPipeline;

  constructor(tracer: Tracer, pipeline: SpanPipeline) {
    this.#tracer = tracer;
    this.#pipeline = pipeline;
  }

  /** The current context (the span of the code running now, if any). */
  active(): Context {
    return context.active();
  }

  /** Starts a span under `parent` (default: the active context). End it with `end`. */
  start(name: string, kind: SpanKindName, attributes: Attributes, parent: Context = context.active()): Span {
    return this.#tracer.startSpan(name, { kind: KINDS[kind], attributes }, parent);
  }

  /** `parent` (default: active) with `span` as its current span. */
  enter(span: Span, parent: Context = context.active()): Context {
    return trace.setSpan(parent, span);
  }

  run<T>(ctx: Context, fn: () => T): T {
    return context.with(ctx, fn);
  }

  /** Ends a span with its outcome: "ok", or the error's catalog code as an error status. */
  end(span: Span, error?: unknown): void {
    if (error === undefined) {
      span.setAttribute(ATTR.outcome, OUTCOME_OK);
      span.end();
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    span.recordException(error instanceof Error ? error : message);
    this.fail(span, isWactorError(error) ? error.code : "WACTOR_ERR_INTERNAL", message);
  }

  /** Ends a span as failed with `code` (a catalog code, or what the protocol reports) and no exception. */
  fail(span: Span, code: string, message: string): void {
    span.setAttributes({ [ATTR.outcome]: code, [ATTR.errorType]: code });
    span.setStatus({ code: SpanStatusCode.ERROR, message });
    span.end();
  }

  /** Runs `work` inside a new span, ending it with the outcome of the promise. */
  traced<T>(name: string, kind: SpanKindName, attributes: Attributes, work: () => Promise<T>, parent?: Context): Promise<T> {
    const span = this.start(name, kind, attributes, parent);
    return this.settle(span, () => context.with(this.enter(span, parent), work));
  }

  /** Runs `work` and ends `span` once it settles, with its error when it fails (or throws). */
  settle<T>(span: Span, work: () => Promise<T>): Promise<T> {
    let pending: Promise<T>;
    try {
      pending = work();
    } catch (err) {
      this.end(span, err);
      return Promise.reject(err);
    }
    return pending.then(
      (value) => {
        this.end(span);
        return value;
      },
      (err: unknown) => {
        this.end(span, err);
        throw err;
      },
    );
  }

  /** The W3C headers for `ctx` (default: active), or undefined when it holds no valid span. */
  inject(ctx: Context = context.active()): TraceCarrier | undefined {
    const headers: Record<string, string> = {};
    propagator.inject(ctx, headers, defaultTextMapSetter);
    return headers.traceparent === undefined
      ? undefined
      : { traceparent: headers.traceparent, ...(headers.tracestate !== undefined && { tracestate: headers.tracestate }) };
  }

  /** A parent context continuing the carrier's trace; the root (a new trace) when it has none or it is invalid. */
  extract(carrier: TraceCarrier | Readonly<Record<string, string | undefined>> | undefined): Context {
    if (!carrier) return ROOT_CONTEXT;
    return propagator.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter);
  }

  /** `trace_id` and `span_id` of the active span for a log line (a pino mixin), else nothing. */
  logFields(): { trace_id?: string; span_id?: string } {
    const span = trace.getSpan(context.active());
    if (!span) return {};
    const { traceId, spanId } = span.spanContext();
    return { trace_id: traceId, span_id: spanId };
  }

  /** Exports every ended span now (tests, and before a process exits). */
  flush(): Promise<void> {
    return this.#pipeline.forceFlush();
  }

  /** Flushes and stops the exporter. */
  shutdown(): Promise<void> {
    return this.#pipeline.shutdown();
  }
}
