import type { Command } from "commander";
import type { Server } from "node:http";
import { applyHostManifest, hostForManifest, type RunningManifest } from "../deploy/apply-host-manifest.js";
import { loadHostManifest } from "../deploy/host-manifest.js";
import { WactorError } from "../errors.js";
import { bindingHealth } from "../host/binding-health.js";
import { cliLogger, LOG_LEVELS } from "./logger.js";
import { startOpsServer } from "./ops-server.js";
import { operatorSigner } from "./operator-key.js";
import { joinFromFlags, putManifestLinks, startReconcilerFromFlags, type LatticeFlags } from "./up-lattice.js";
import type { RunningReconciler } from "../deploy/run-reconciler.js";
import { startDashboard, type Dashboard } from "../ui/server.js";
import { maskValues } from "../lattice/wire/mask.js";
import { redactServers } from "../nats/access.js";
import { parsePort } from "./arguments.js";
import { waitForSignal } from "./signals.js";
import { watchActorFiles } from "./watch.js";
import { natsAccessFromFlags, withNatsFlags } from "./nats-flags.js";
import type { LatticeHost } from "../lattice/lattice-host.js";
import { startTracing } from "../tracing/setup.js";
import { checkBundleFlags, isBundlePath, upBundle, withBundleUpOptions, type UpBundleFlags } from "./up-bundle.js";
import { tracingConfig } from "../tracing/config.js";

interface UpFlags extends LatticeFlags, UpBundleFlags {
  ui?: boolean;
  operatorSeed?: string;
  uiPort: string;
  logLevel: string;
  metricsPort?: string;
  watch?: boolean;
  otlp?: string;
}

export function registerUpCommand(program: Command): void {
  withBundleUpOptions(withNatsFlags(program.command("up")))
    .description("run a host from a manifest, or serve one signed bundle (.wasm.zip), until SIGINT/SIGTERM, then drain in-flight invocations and exit")
    .argument("<manifest>", "host manifest (YAML), or a signed bundle <app.wasm.zip>")
    .option("--log-level <level>", `one of ${LOG_LEVELS.join(", ")}`, "info")
    .option("--metrics-port <port>", "serve /metrics, /healthz and /readyz on 127.0.0.1:<port>")
    .option("--watch", "live-update actors whose files change (same subject required)")
    .option("--otlp <url>", "export traces over OTLP/HTTP to this collector (like OTEL_EXPORTER_OTLP_ENDPOINT; OTEL_* variables apply); off by default")
    .option("--lattice <url>", "join the NATS lattice at this URL (nats-server with JetStream)")
    .option("--lattice-name <name>", "lattice name; subjects and buckets are namespaced by it", "default")
    .option("--cluster-seed <seed>", "cluster seed (SC…) signing this host's invocations (or env WACTOR_CLUSTER_SEED); generated when absent")
    .option("--trusted-cluster <key...>", "other cluster keys (C…) whose invocations this host accepts")
    .option("--heartbeat-ms <ms>", "heartbeat interval in the lattice", "5000")
    .option("--trusted-clusters-file <path>", "more trusted cluster keys, one per line; re-read every heartbeat, so removing one revokes it")
    .option(
      "--invocation-auth <mode>",
      "how this host authenticates the invocations it sends: session (a MAC under a host session) or jwt (an Ed25519 JWT per call)",
      "session",
    )
    .option("--session-rotate <duration>", "how often the host starts a new session (e.g. 1h, 15m)", "1h")
    .option(
      "--trusted-operator <key...>",
      "operator keys (O…) whose signed control commands, links and applications this host acts on; none: the lattice is open (unsigned commands are taken)",
    )
    .option("--close-queries", "with --trusted-operator: queries (ping, inventory) need a signature too")
    .option("--operator-seed <seed>", "operator seed (SO…) the dashboard signs its actions with (or env WACTOR_OPERATOR_SEED)")
    .option("--ui", "also serve the lattice dashboard on 127.0.0.1 (with --lattice)")
    .option("--ui-port <port>", "port of the dashboard", "4000")
    .option("--reconcile-ms <ms>", "period of this host's application reconciler (one host of the lattice leads)", "1000")
    .action(async (file: string, flags: UpFlags) => {
      if (!(LOG_LEVELS as readonly string[]).includes(flags.logLevel)) {
        throw new WactorError("WACTOR_ERR_BAD_ARGUMENT", `--log-level '${flags.logLevel}'; expected one of ${LOG_LEVELS.join(", ")}`);
      }
      checkBundleFlags(file, flags);
      if (isBundlePath(file)) return upBundle(file, flags);
      // Every flag is checked before anything starts: a typo never leaves a half-started host.
      const metricsPort = flags.metricsPort === undefined ? undefined : parsePort(flags.metricsPort, "--metrics-port");
      const uiPort = parsePort(flags.uiPort, "--ui-port");
      const traces = tracingConfig(process.env, flags.otlp);
      const manifest = await loadHostManifest(file);
      const tracing = traces && (await startTracing(traces));
      const logger = cliLogger(flags.logLevel, tracing && (() => tracing.logFields()));
      const host = hostForManifest(manifest, logger, tracing);
      let ready = false;
      let ops: Server | undefined;
      if (metricsPort !== undefined) ops = await startOpsServer(host, metricsPort, () => ready);
      let running: RunningManifest;
      let lattice: LatticeHost | undefined;
      let reconciler: RunningReconciler | undefined;
      let dashboard: Dashboard | undefined;
      try {
        running = await applyHostManifest(manifest, { logger, host, skipBindings: flags.lattice !== undefined });
        if (flags.lattice !== undefined) {
          lattice = await joinFromFlags(host, manifest, flags, logger);
          await putManifestLinks(host, manifest, flags, lattice);
          reconciler = await startReconcilerFromFlags(lattice, flags, logger);
          const signer = flags.ui ? operatorSigner({ ...(flags.operatorSeed !== undefined && { operatorSeed: flags.operatorSeed }) }) : undefined;
          if (flags.ui)
            dashboard = await startDashboard({
              url: flags.lattice,
              lattice: flags.latticeName,
              access: natsAccessFromFlags(flags),
              port: uiPort,
              logger,
              ...(signer && { signer }),
            });
        } else if (flags.ui) {
          throw new WactorError("WACTOR_ERR_BAD_ARGUMENT", "--ui shows a lattice: add --lattice nats://…");
        }
      } catch (err) {
        await dashboard?.close();
        await reconciler?.stop();
        await lattice?.leave();
        await host.shutdown();
        await tracing?.shutdown();
        ops?.close();
        throw err;
      }
      ready = true;
      const stopWatching = flags.watch
        ? watchActorFiles(
            host,
            running.actors.flatMap((a, i) => (manifest.actors[i]!.path !== undefined ? [{ path: manifest.actors[i]!.path!, key: a.key }] : [])),
            logger,
          )
        : () => {};
      // One write: whoever waits for the ready line (a script, a test) then has every line of it.
      let summary = readySummary(file, running);
      if (lattice)
        summary += `  lattice  ${lattice.subjects.lattice} at ${redactServers(flags.lattice!)}  host=${lattice.hostId}  cluster=${lattice.clusterKey}\n`;
      if (dashboard) summary += `  dashboard ${dashboard.url}\n`;
      if (traces) summary += `  tracing  OTLP ${traces.protocol} to ${traces.url ?? "OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT"}\n`;
      process.stdout.write(summary);
      await waitForSignal();
      ready = false;
      stopWatching();
      process.stdout.write("wactor: draining in-flight invocations and stopping\n");
      // Leave the lattice's queues first so other hosts take new work; finish ours; then disconnect.
      await dashboard?.close();
      await reconciler?.stop();
      await lattice?.stopServing();
      for (const bundle of running.bundles ?? []) await bundle.stop();
      await host.shutdown();
      await lattice?.close();
      // Spans still buffered are exported before the process ends.
      await tracing?.shutdown();
      ops?.close();
      process.stdout.write("wactor: stopped\n");
    });
}

export function readySummary(file: string, running: RunningManifest): string {
  const { host } = running;
  const lines = [`wactor host ready (${file})`];
  for (const actor of host.listActors()) {
    lines.push(`  actor    ${actor.name ?? "(unnamed)"}  ${actor.key}  instances=${actor.instances}  caps=${actor.claims.caps.join(",") || "-"}`);
  }
  for (const b of host.listBindings()) {
    const name = host.actorInfo(b.actorKey)?.name ?? b.actorKey;
    const health = bindingHealth(host.provider(b.capabilityId), b);
    const values = Object.entries(maskValues(b.values))
      .map(([k, v]) => `${k}=${v}`)
      .join(" ");
    lines.push(`  binding  ${name} -> ${b.capabilityId} (${b.binding}) ${values} [${health.up ? "ok" : `${health.state}: ${health.reason}`}]`);
    if (b.capabilityId === "wascc:http_server" && b.values.PORT) lines.push(`  listening http://${b.values.HOST ?? "127.0.0.1"}:${b.values.PORT}/`);
  }
  for (const bundle of running.bundles ?? []) {
    const info = bundle.info;
    if (!info) continue;
    lines.push(`  bundle   ${info.identifier} ${info.appVersion}  functions=${info.functions.length}  schedules=${info.schedules.join(",") || "-"}`);
    if (info.address) lines.push(`  listening http://${info.address.host}:${info.address.port}/ (bundle ${info.identifier})`);
  }
  return `${lines.join("\n")}\n`;
}
