/**
 * `wactor up <app.wasm.zip>`: serves one signed bundle alone on a host with embedded defaults
 * (an in-memory cache shared by its functions, the host's log, outbound HTTP only to the
 * hosts given with --allow-host), until SIGINT/SIGTERM.
 */
import type { Command } from "commander";
import { loadBundleFile } from "../bundle/load.js";
import { BundleRunner, type RunningBundleInfo } from "../bundle/run/bundle-runner.js";
import type { LoadedBundle } from "../bundle/load.js";
import { parseDurationSeconds } from "./duration.js";
import { WactorError } from "../errors.js";
import { Host } from "../host/host.js";
import { parsePort } from "./arguments.js";
import { cliLogger } from "./logger.js";
import { waitForSignal } from "./signals.js";

export interface UpBundleFlags {
  logLevel: string;
  lattice?: string;
  ui?: boolean;
  watch?: boolean;
  metricsPort?: string;
  otlp?: string;
  port?: string;
  listen?: string;
  allowHost?: string[];
  cacheUrl?: string;
  streamUrl?: string;
  headless?: boolean;
  stepTimeout?: string;
}

/** `500ms`, or a duration in seconds and up (`30s`, `2m`). */
function durationMs(text: string): number {
  const ms = /^(\d+)\s*ms$/.exec(text.trim());
  return ms ? Number(ms[1]) : parseDurationSeconds(text) * 1000;
}

export function isBundlePath(file: string): boolean {
  return file.endsWith(".wasm.zip");
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** The options of `wactor up` that only make sense for a bundle. */
export function withBundleUpOptions(command: Command): Command {
  return command
    .option("--port <port>", "with a bundle: port its routes listen on (default 8080; 0 picks a free one)")
    .option("--listen <host>", "with a bundle: interface its routes listen on (default 127.0.0.1)")
    .option("--allow-host <host>", "with a bundle: a host its functions may reach over HTTP (repeat for more; none by default)", collect)
    .option("--cache-url <redis-url>", "with a bundle: keep its cache in Redis instead of in memory")
    .option("--stream-url <nats-url>", "with a bundle: serve its 'type: stream' handlers from this NATS server (wascc:messaging)")
    .option("--headless", "with a bundle: serve every function at POST /<identifier>/<namespace>/<name>/<appVersion> instead of its handlers")
    .option("--step-timeout <duration>", "with a bundle: time one step may take (500ms, 30s, 2m; default 30s)");
}

const BUNDLE_ONLY = ["port", "listen", "allowHost", "cacheUrl", "streamUrl", "headless", "stepTimeout"] as const;
const MANIFEST_ONLY = ["lattice", "ui", "watch", "metricsPort", "otlp"] as const;
const flagName = (key: string): string => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** Refuses flags that belong to the other kind of `up` before anything starts. */
export function checkBundleFlags(file: string, flags: UpBundleFlags): void {
  const bundle = isBundlePath(file);
  const misplaced = (bundle ? MANIFEST_ONLY : BUNDLE_ONLY).filter((key) => flags[key] !== undefined && flags[key] !== false);
  if (misplaced.length === 0) return;
  const names = misplaced.map(flagName).join(", ");
  throw new WactorError(
    "WACTOR_ERR_BAD_ARGUMENT",
    bundle
      ? `${names}: a bundle is served alone; these apply to host manifests`
      : `${names}: only for a bundle (<app.wasm.zip>); a host manifest sets these in its bindings`,
  );
}

function summary(file: string, bundle: LoadedBundle, info: RunningBundleInfo, headless: boolean): string {
  const d = bundle.directive;
  const lines = [`wactor bundle ready (${file})`, `  app      ${d.identifier} ${d.appVersion}  sealed by ${bundle.seal.issuer}`];
  for (const f of info.functions) lines.push(`  function ${f.fqfn}  ${f.key}  caps=${f.caps.join(",") || "-"}`);
  if (headless) for (const r of d.runnables) lines.push(`  route    POST /${d.identifier}/${r.namespace}/${r.name}/${d.appVersion}`);
  else
    for (const h of d.handlers.filter((x) => x.type === "request"))
      lines.push(`  route    ${h.method} ${h.resource.startsWith("/") ? h.resource : `/${h.resource}`}`);
  for (const name of info.schedules) lines.push(`  schedule ${name}`);
  for (const subject of info.streams) lines.push(`  stream   ${subject}`);
  if (info.address) lines.push(`  listening http://${info.address.host}:${info.address.port}/`);
  return `${lines.join("\n")}\n`;
}

export async function upBundle(file: string, flags: UpBundleFlags): Promise<void> {
  const port = parsePort(flags.port ?? "8080", "--port");
  const stepTimeoutMs = flags.stepTimeout === undefined ? undefined : durationMs(flags.stepTimeout);
  if (stepTimeoutMs !== undefined && stepTimeoutMs <= 0) throw new WactorError("WACTOR_ERR_BAD_ARGUMENT", "--step-timeout must be positive");
  const logger = cliLogger(flags.logLevel);
  // Refuses an unsigned bundle (WACTOR_ERR_BUNDLE_UNSIGNED names `wactor bundle sign`) or one changed since signing.
  const bundle = await loadBundleFile(file);
  const host = new Host({ logger });
  const headless = flags.headless ?? bundle.directive.headless;
  const runner = new BundleRunner(host, bundle, {
    http: { port, host: flags.listen ?? "127.0.0.1" },
    allowedHosts: flags.allowHost ?? [],
    headless,
    ...(flags.cacheUrl !== undefined && { cacheUrl: flags.cacheUrl }),
    ...(flags.streamUrl !== undefined && { messaging: { URL: flags.streamUrl } }),
    ...(stepTimeoutMs !== undefined && { stepTimeoutMs }),
  });
  let info: RunningBundleInfo;
  try {
    info = await runner.start();
  } catch (err) {
    await host.shutdown();
    throw err;
  }
  process.stdout.write(summary(file, bundle, info, headless));
  await waitForSignal();
  process.stdout.write("wactor: draining in-flight requests and stopping\n");
  await runner.stop();
  await host.shutdown();
  process.stdout.write("wactor: stopped\n");
}
