/**
 * Whether and where spans are exported, from the standard OpenTelemetry variables and the
 * `--otlp <url>` flag of `wactor up`. Tracing is off unless an OTLP endpoint is named. The
 * exporters and the tracer provider read the rest of the OTEL_* variables themselves
 * (headers, timeouts, OTEL_TRACES_SAMPLER, OTEL_BSP_*, OTEL_SERVICE_NAME via the resource).
 */
import { WactorError } from "../errors.js";

export type OtlpProtocol = "http/protobuf" | "http/json";

export interface TracingConfig {
  protocol: OtlpProtocol;
  /** The traces URL from --otlp; undefined: the exporter reads OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT. */
  url: string | undefined;
}

type Env = Readonly<Record<string, string | undefined>>;

const set = (value: string | undefined): string | undefined => (value === undefined || value.trim() === "" ? undefined : value.trim());

/** The configuration, or undefined when tracing stays off. Throws WACTOR_ERR_TRACING_CONFIG on a bad value. */
export function tracingConfig(env: Env, otlpFlag?: string): TracingConfig | undefined {
  const exporter = set(env.OTEL_TRACES_EXPORTER);
  if (exporter !== undefined && exporter !== "otlp" && exporter !== "none") {
    throw new WactorError("WACTOR_ERR_TRACING_CONFIG", `OTEL_TRACES_EXPORTER '${exporter}'`);
  }
  if (otlpFlag === undefined) {
    if (set(env.OTEL_SDK_DISABLED)?.toLowerCase() === "true" || exporter === "none") return undefined;
    if (set(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) === undefined && set(env.OTEL_EXPORTER_OTLP_ENDPOINT) === undefined) return undefined;
  }
  return { protocol: protocolOf(env), url: otlpFlag === undefined ? undefined : tracesUrl(otlpFlag) };
}

function protocolOf(env: Env): OtlpProtocol {
  // The signal-specific variable wins over the general one, as the specification says.
  const name = set(env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL) !== undefined ? "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL" : "OTEL_EXPORTER_OTLP_PROTOCOL";
  const value = set(env[name]) ?? "http/protobuf";
  if (value !== "http/protobuf" && value !== "http/json") throw new WactorError("WACTOR_ERR_TRACING_CONFIG", `${name} '${value}'`);
  return value;
}

/** `--otlp` names the collector like OTEL_EXPORTER_OTLP_ENDPOINT: `/v1/traces` is added unless given. */
export function tracesUrl(flag: string): string {
  let url: URL;
  try {
    url = new URL(flag);
  } catch {
    throw new WactorError("WACTOR_ERR_TRACING_CONFIG", `--otlp '${flag}' is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new WactorError("WACTOR_ERR_TRACING_CONFIG", `--otlp '${flag}' must be http:// or https://`);
  if (!url.pathname.endsWith("/v1/traces")) url.pathname = `${url.pathname.replace(/\/+$/, "")}/v1/traces`;
  return url.toString();
}
