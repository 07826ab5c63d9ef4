/** `wactor app`: deploy applications across a lattice and follow them (a thin face over AppClient). */
import type { Command } from "commander";
import { AppClient } from "../deploy/app-client.js";
import { loadAppManifest } from "../deploy/app-manifest.js";
import type { AppStatus, DesiredApp } from "../deploy/app-types.js";
import { WactorError } from "../errors.js";
import { RecordProofs } from "../lattice/trust/record-proof.js";
import { withLatticeOptions, type LatticeOptions } from "./lattice-options.js";
import { waitForSignal } from "./signals.js";
import { natsAccessFromFlags } from "./nats-flags.js";
import { operatorSigner } from "./operator-key.js";
import { printJson } from "./output.js";

type AppOpts = LatticeOptions & { trustedCluster?: string[] };

async function withApps<T>(opts: AppOpts, work: (apps: AppClient) => Promise<T>): Promise<T> {
  const signer = operatorSigner(opts);
  const proofs = new RecordProofs(opts.trustedCluster);
  const apps = await AppClient.connect({ url: opts.lattice, lattice: opts.latticeName, access: natsAccessFromFlags(opts), proofs, ...(signer && { signer }) });
  try {
    return await work(apps);
  } finally {
    await apps.close();
  }
}

function seconds(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 3600) throw new WactorError("WACTOR_ERR_BAD_ARGUMENT", `--timeout '${value}' must be whole seconds from 1 to 3600`);
  return n * 1000;
}

const short = (key: string): string => `${key.slice(0, 10)}…`;

export function formatStatus(status: AppStatus | undefined, app: DesiredApp): string {
  if (!status) return `${app.name} ${app.version}: no status yet (no reconciler has looked at it: is any host running 'wactor up --lattice'?)\n`;
  const lines = [`${status.name} ${status.version}: ${status.phase}  (reconciler ${short(status.reconciler)}, ${status.updatedAt})`];
  for (const a of status.actors) {
    const where = a.running.map((r) => `${short(r.hostId)} x${r.instances} ${r.state}${r.current ? "" : " (old version)"}`).join(", ") || "nowhere";
    lines.push(`  ${a.name ?? short(a.key)}: ${a.running.length}/${a.desiredReplicas} replicas: ${where}`);
  }
  for (const b of status.bundles ?? [])
    lines.push(`  bundle ${b.identifier}@${b.appVersion} routes: ${b.edges.map((h) => `${short(h)} serving`).join(", ") || "served nowhere"}`);
  if (status.proof && !status.proof.ok)
    lines.push(`  ! this status is not proven (${status.proof.reason}: ${status.proof.detail}): a reconciler did not write it`);
  for (const c of status.conflicts ?? []) lines.push(`  ! conflict: ${c}`);
  for (const p of status.problems) lines.push(`  ! ${p}`);
  for (const n of status.notes ?? []) lines.push(`  ~ ${n}`);
  for (const p of status.pending) lines.push(`  > ${p}`);
  return `${lines.join("\n")}\n`;
}

export function registerAppCommands(program: Command): void {
  const app = program.command("app").description("applications across a lattice: desired state kept true by the reconciler");
  withLatticeOptions(app.command("deploy").argument("<manifest>", "application manifest (YAML)"))
    .option("--timeout <seconds>", "how long to wait until it is deployed", "120")
    .description("verify, upload and deploy an application (a new version rolls out host by host); waits until it runs")
    .action(async (file: string, opts: AppOpts & { timeout: string }) => {
      const timeoutMs = seconds(opts.timeout);
      const manifest = await loadAppManifest(file);
      await withApps(opts, async (apps) => {
        let lastLine = "";
        const status = await apps.deploy(manifest, {
          timeoutMs,
          onStatus: (s) => {
            if (opts.json) return;
            const line = `${s.phase}: ${[...s.pending, ...s.problems].join("; ") || "-"}`;
            if (line !== lastLine) process.stderr.write(`  ${line}\n`);
            lastLine = line;
          },
        });
        if (opts.json) printJson(status);
        else process.stdout.write(`deployed ${status.name} ${status.version}\n`);
      });
    });
  withLatticeOptions(app.command("undeploy").argument("<name>", "application"))
    .option("--timeout <seconds>", "how long to wait until nothing runs", "60")
    .description("stop everything the application runs and remove its links")
    .action(async (name: string, opts: AppOpts & { timeout: string }) => {
      const timeoutMs = seconds(opts.timeout);
      await withApps(opts, async (apps) => {
        const status = await apps.undeploy(name, { timeoutMs });
        if (opts.json) printJson(status);
        else process.stdout.write(`undeployed ${name}\n`);
      });
    });
  withLatticeOptions(app.command("list").description("applications with their version and phase")).action((opts: AppOpts) =>
    withApps(opts, async (apps) => {
      const all = await apps.list();
      if (opts.json)
        printJson(all.map(({ app: a, status }) => ({ name: a.name, version: a.version, undeployed: a.undeployed, phase: status?.phase ?? "unknown" })));
      else process.stdout.write(all.map(({ app: a, status }) => `${a.name}  ${a.version}  ${status?.phase ?? "unknown"}\n`).join("") || "no applications\n");
    }),
  );
  withLatticeOptions(app.command("status").argument("<name>", "application"))
    .option("--watch", "keep printing as it changes (Ctrl-C to stop)")
    .option("--trusted-cluster <key...>", "the lattice's cluster keys (C…): a status not signed by one is marked")
    .description("desired vs actual per actor and host, and why they differ")
    .action((name: string, opts: AppOpts & { watch?: boolean }) =>
      withApps(opts, async (apps) => {
        const { app: desired, status } = await apps.status(name);
        if (opts.json) printJson({ desired, status });
        else process.stdout.write(formatStatus(status, desired));
        if (!opts.watch) return;
        const stop = await apps.watchStatus(name, (s) => process.stdout.write(opts.json ? `${JSON.stringify(s)}\n` : formatStatus(s, desired)));
        await waitForSignal();
        stop();
      }),
    );
  withLatticeOptions(app.command("history").argument("<name>", "application").description("every deployed version, oldest first")).action(
    (name: string, opts: AppOpts) =>
      withApps(opts, async (apps) => {
        const versions = await apps.history(name);
        if (opts.json)
          printJson(
            versions.map((v) => ({
              version: v.version,
              deployedAt: v.deployedAt,
              undeployed: v.undeployed,
              actors: v.actors.map((a) => ({ key: a.key, name: a.name, replicas: a.replicas })),
            })),
          );
        else
          process.stdout.write(
            versions
              .map(
                (v) =>
                  `${v.deployedAt}  ${v.version}${v.undeployed ? "  (undeployed)" : ""}  ${v.actors.map((a) => `${a.name ?? short(a.key)} x${a.replicas}`).join(", ")}\n`,
              )
              .join(""),
          );
      }),
  );
}
