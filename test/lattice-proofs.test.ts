/**
 * Readers that only display check what hosts sign (issue 28), against a real
 * `wactor up --lattice` process that trusts an operator (so its reconciler signs statuses):
 * a forged or edited heartbeat is shown, marked, by `wactor ctl watch` and the dashboard's
 * event stream; a status no reconciler signed is marked by `wactor app status` and the
 * dashboard's overview; the real ones are not.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type NatsConnection } from "nats";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeyPair } from "../src/claims/nkeys.js";
import { AppClient } from "../src/deploy/app-client.js";
import { encodeJson } from "../src/lattice/wire/control-codec.js";
import { latticeSubjects, type HostSummary, type LatticeEvent } from "../src/lattice/mod.js";
import { proveSummary } from "../src/lattice/trust/host-record.js";
import { signEntry } from "../src/lattice/trust/operator-signature.js";
import { startDashboard, type Dashboard } from "../src/ui/server.js";
import { actor } from "./helpers/actors.js";
import { wactorAsync } from "./helpers/cli.js";
import { eventually } from "./helpers/eventually.js";
import { freePort, startNats, type ServerHandle } from "./helpers/servers.js";
import { startUp, stopUp, waitForOutput, type UpProcess } from "./helpers/up-process.js";

const dir = mkdtempSync(join(tmpdir(), "wactor-proofs-"));
const cluster = KeyPair.create("cluster");
const rogue = KeyPair.create("cluster");
const operator = KeyPair.create("operator");
const subjects = latticeSubjects("default");

describe("heartbeat proofs and signed statuses, as readers see them", { timeout: 120_000 }, () => {
  let nats: ServerHandle;
  let host: UpProcess;
  let hostId: string;
  let apps: AppClient;
  let nc: NatsConnection;
  let dashboard: Dashboard;

  const heartbeat = (data: Record<string, unknown>): void => {
    const event: LatticeEvent = { type: "host_heartbeat", hostId: String(data.id), time: new Date().toISOString(), data };
    nc.publish(`wactor.default.evt.host_heartbeat`, encodeJson(event));
  };
  const realSummary = async (): Promise<HostSummary> => (await apps.control.getHosts()).find((h) => h.id === hostId)!;
  const statusBucket = () => apps.control.buckets.kv(subjects.appStatusBucket, { history: 1 });
  const status = (extra: string[] = []) => wactorAsync(["app", "status", "greeter", "--lattice", nats.url, ...extra], { timeoutMs: 30_000 });

  beforeAll(async () => {
    nats = await startNats({ jetstream: true });
    writeFileSync(join(dir, "host.yaml"), "labels: { role: compute }\n");
    host = startUp([
      join(dir, "host.yaml"),
      "--lattice",
      nats.url,
      "--cluster-seed",
      cluster.seed,
      "--trusted-operator",
      operator.publicKey,
      "--heartbeat-ms",
      "300",
      "--reconcile-ms",
      "300",
      "--log-level",
      "warn",
    ]);
    await waitForOutput(host, "lattice  default");
    hostId = /host=(N[A-Z2-7]{55})/.exec(host.stdout())![1]!;
    apps = await AppClient.connect({ url: nats.url });
    nc = await connect({ servers: nats.url });
    writeFileSync(join(dir, "greeter.yaml"), `name: greeter\nversion: "1"\nactors:\n  - { source: ${actor("echo").signedPath}, replicas: 1 }\n`);
    const deployed = await wactorAsync(["app", "deploy", join(dir, "greeter.yaml"), "--lattice", nats.url, "--operator-seed", operator.seed], {
      timeoutMs: 90_000,
    });
    expect(deployed.stdout).toContain("deployed greeter 1");
    dashboard = await startDashboard({ url: nats.url, port: await freePort(), logger: pino({ level: "silent" }), trustedClusters: [cluster.publicKey] });
  });

  afterAll(async () => {
    await dashboard?.close();
    await nc?.close();
    await apps?.close();
    if (host) await stopUp(host);
    await nats?.stop();
  });

  it("ctl watch shows an edited and an unsigned heartbeat, marked FORGED, and hides the real ones", async () => {
    const real = await realSummary();
    let ready!: () => void;
    const watching = new Promise<void>((resolve) => (ready = resolve));
    const watch = wactorAsync(["ctl", "watch", "--lattice", nats.url, "--count", "2"], {
      timeoutMs: 30_000,
      onStderr: (text) => text.includes("watching lattice") && ready(),
    });
    await watching;
    heartbeat({ ...real, labels: { role: "attacker" } }); // edited after signing
    heartbeat({ ...real, id: KeyPair.create("server").publicKey, proof: undefined }); // never signed
    const lines = (await watch).stdout.trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/ ! host_heartbeat .* FORGED \(tampered: /);
    expect(lines[1]).toMatch(/ ! host_heartbeat .* FORGED \(unsigned: /);
  });

  it("the dashboard's event stream marks a forged heartbeat and proves the real ones", async () => {
    const response = await fetch(`${dashboard.url}api/events`);
    const reader = response.body!.getReader();
    const seen: Array<LatticeEvent & { proof?: { ok: boolean; reason?: string } }> = [];
    let buffer = "";
    const forgedSeen = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += new TextDecoder().decode(value);
        for (const line of buffer.split("\n\n").slice(0, -1)) if (line.startsWith("data: ")) seen.push(JSON.parse(line.slice(6)));
        buffer = buffer.slice(buffer.lastIndexOf("\n\n") + 2);
        if (seen.some((e) => e.proof?.ok === false) && seen.some((e) => e.proof?.ok === true)) return;
      }
    })();
    await eventually(
      async () => {
        heartbeat({ ...proveSummary(rogue, await realSummary()) }); // proven, but by a cluster key the lattice does not use
        expect(seen.some((e) => e.proof?.ok === false)).toBe(true);
      },
      { timeoutMs: 15_000, intervalMs: 300 },
    );
    await forgedSeen;
    await reader.cancel();
    expect(seen.find((e) => e.proof?.ok === false)).toMatchObject({ type: "host_heartbeat", proof: { ok: false, reason: "untrusted-issuer" } });
    expect(seen.find((e) => e.proof?.ok === true)).toMatchObject({ hostId, proof: { ok: true, signer: cluster.publicKey } });
  });

  it("a status no reconciler signed is marked by app status and the dashboard; the reconciler's is not", async () => {
    const overview = async () =>
      (await (await fetch(`${dashboard.url}api/overview`)).json()) as {
        apps: Array<{ name: string; status?: { version: string; proof?: { ok: boolean; reason?: string } } }>;
      };
    expect((await status(["--trusted-cluster", cluster.publicKey])).stdout).not.toContain("not proven");
    expect((await overview()).apps[0]!.status!.proof).toMatchObject({ ok: true, signer: cluster.publicKey });
    const kv = await statusBucket();
    const real = (await apps.status("greeter")).status!;
    // Plain JSON claiming another version: marked where the lattice's keys are known.
    await kv.put("greeter", encodeJson({ ...real, version: "666" }));
    expect((await status(["--trusted-cluster", cluster.publicKey])).stdout).toContain("! this status is not proven (unsigned");
    expect((await overview()).apps[0]!.status).toMatchObject({ version: "666", proof: { ok: false, reason: "unsigned" } });
    // Signed by a cluster key the lattice does not use: marked with the keys; an edited signed one, even without.
    await kv.put("greeter", signEntry(rogue, "app_status", "greeter", { ...real, version: "667" }));
    expect((await overview()).apps[0]!.status!.proof).toMatchObject({ ok: false, reason: "untrusted-issuer" });
    const [head, , signature] = new TextDecoder().decode(signEntry(cluster, "app_status", "greeter", real)).split(".");
    const edited = Buffer.from(
      JSON.stringify({ iss: cluster.publicKey, iat: 1, wactor: { kind: "app_status", sub: "greeter", at: Date.now(), content: { ...real, version: "668" } } }),
    ).toString("base64url");
    await kv.put("greeter", new TextEncoder().encode(`${head}.${edited}.${signature}`));
    expect((await status()).stdout).toContain("! this status is not proven (bad-signature");
  });
});
