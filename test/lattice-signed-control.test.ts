/**
 * Least privilege on the lattice (issue 20) with separate `wactor up --lattice` processes that
 * trust one operator key, on a real nats-server: unsigned or wrongly signed control commands
 * and application versions are refused, change nothing and are counted; a replayed signed
 * command is refused; links and applications written straight into KV without the operator's
 * key are not acted on, the same content signed by the operator is.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type NatsConnection } from "nats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeyPair } from "../src/claims/nkeys.js";
import { AppStore } from "../src/deploy/app-store.js";
import type { DesiredApp } from "../src/deploy/app-types.js";
import { controlHeaders } from "../src/lattice/trust/control-auth.js";
import { decodeJson, encodeJson } from "../src/lattice/wire/control-codec.js";
import { LinkStore } from "../src/lattice/state/link-store.js";
import { ControlClient, latticeSubjects, type Inventory, type LatticeEvent } from "../src/lattice/mod.js";
import { pino } from "pino";
import { startDashboard, type Dashboard } from "../src/ui/server.js";
import { actor } from "./helpers/actors.js";
import { wactorAsync, type CliResult } from "./helpers/cli.js";
import { eventually } from "./helpers/eventually.js";
import { freePort, startNats, startRedis, type ServerHandle } from "./helpers/servers.js";
import { startUp, stopUp, waitForOutput, type UpProcess } from "./helpers/up-process.js";

const dir = mkdtempSync(join(tmpdir(), "wactor-signed-"));
const cluster = KeyPair.create("cluster");
const operator = KeyPair.create("operator");
const rogue = KeyPair.create("operator");
const kvcounter = actor("kvcounter");
const echo = actor("echo");
const subjects = latticeSubjects("default");

const file = (name: string, lines: string[]): string => {
  const path = join(dir, name);
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
};
const hostIdOf = (up: UpProcess): string => /host=(N[A-Z2-7]{55})/.exec(up.stdout())![1]!;

describe("signed control and desired state", { timeout: 120_000 }, () => {
  let nats: ServerHandle;
  let redis: ServerHandle;
  let compute: UpProcess;
  let data: UpProcess;
  let computeId: string;
  let dataId: string;
  let reader: ControlClient; // unsigned: reads and watches only
  let nc: NatsConnection;
  const metricsPorts: number[] = [];
  const events: LatticeEvent[] = [];

  const ctl = (args: string[]): Promise<CliResult> => wactorAsync(["ctl", ...args, "--lattice", nats.url, "--json"], { timeoutMs: 30_000 });
  const app = (args: string[]): Promise<CliResult> => wactorAsync(["app", ...args, "--lattice", nats.url], { timeoutMs: 30_000 });
  /** `wactor_lattice_rejected_total{reason}` summed over both hosts. */
  const rejected = async (reason: string): Promise<number> => {
    let total = 0;
    for (const port of metricsPorts) {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const line = text.split("\n").find((l) => l.startsWith(`wactor_lattice_rejected_total{reason="${reason}"}`));
      total += line ? Number(line.split(" ").pop()) : 0;
    }
    return total;
  };
  const inventory = (hostId: string): Promise<Inventory> => reader.getInventory(hostId);
  const instancesOf = async (key: string): Promise<number | undefined> => (await inventory(computeId)).actors.find((a) => a.key === key)?.instances;
  const bindingsOn = async (hostId: string): Promise<string[]> =>
    (await inventory(hostId)).providers.flatMap((p) => p.bindings.map((b) => `${b.actorKey.slice(0, 6)} ${p.capabilityId} ${b.binding}`));
  const expectRefused = (result: CliResult): void => {
    expect(result.status).toBe(1);
    expect(`${result.stdout}${result.stderr}`).toContain("WACTOR_ERR_CONTROL_REJECTED");
  };

  beforeAll(async () => {
    [nats, redis] = await Promise.all([startNats({ jetstream: true }), startRedis()]);
    metricsPorts.push(await freePort(), await freePort());
    const up = async (manifest: string, extra: string[]): Promise<UpProcess> => {
      const p = startUp([
        manifest,
        "--lattice",
        nats.url,
        "--cluster-seed",
        cluster.seed,
        "--heartbeat-ms",
        "300",
        "--reconcile-ms",
        "300",
        "--log-level",
        "warn",
        ...extra,
      ]);
      await waitForOutput(p, "lattice  default");
      return p;
    };
    // One host trusts the operator by flag, the other by its manifest.
    compute = await up(file("compute.yaml", ["labels: { role: compute }", "actors:", `  - ${kvcounter.signedPath}`]), [
      "--trusted-operator",
      operator.publicKey,
      "--metrics-port",
      String(metricsPorts[0]),
    ]);
    data = await up(file("data.yaml", ["labels: { role: data }", "capabilities: [ { id: wascc:keyvalue } ]", `trusted_operators: [ ${operator.publicKey} ]`]), [
      "--metrics-port",
      String(metricsPorts[1]),
    ]);
    [computeId, dataId] = [hostIdOf(compute), hostIdOf(data)];
    reader = await ControlClient.connect({ url: nats.url });
    reader.watch((e) => events.push(e));
    await reader.flush();
    nc = await connect({ servers: nats.url });
  });

  afterAll(async () => {
    await nc?.close();
    await reader?.close();
    for (const p of [compute, data]) if (p) await stopUp(p);
    await Promise.all([nats?.stop(), redis?.stop()]);
  });

  it("an unsigned stop and a scale signed by an untrusted key are refused, counted, and change nothing; the operator's scale works", async () => {
    // Queries stay open: the unsigned client still sees the lattice.
    const before = await instancesOf(kvcounter.publicKey);
    expect(before).toBeGreaterThan(3);
    expectRefused(await ctl(["stop", "actor", kvcounter.publicKey]));
    expectRefused(await ctl(["scale", "actor", kvcounter.publicKey, "3", "--operator-seed", rogue.seed]));
    expect(await instancesOf(kvcounter.publicKey)).toBe(before);
    expect(await rejected("control:unsigned")).toBe(1);
    expect(await rejected("control:untrusted-issuer")).toBe(1);
    const scaled = await ctl(["scale", "actor", kvcounter.publicKey, "3", "--operator-seed", operator.seed]);
    expect(scaled.stderr).toBe("");
    expect(JSON.parse(scaled.stdout)).toEqual([expect.objectContaining({ hostId: computeId, instances: 3 })]);
    expect(await instancesOf(kvcounter.publicKey)).toBe(3);
  });

  it("a replayed or altered signed command is refused", async () => {
    const subject = subjects.hostControl(computeId, "scale_actor");
    const body = encodeJson({ key: kvcounter.publicKey, instances: 2 });
    const signed = controlHeaders(operator, subject, body);
    const send = async (data: Uint8Array): Promise<{ ok: boolean; code?: string; detail?: string }> =>
      decodeJson((await nc.request(subject, data, { timeout: 5000, ...signed })).data);
    expect(await send(body)).toMatchObject({ ok: true });
    expect(await send(body)).toMatchObject({ ok: false, code: "WACTOR_ERR_CONTROL_REJECTED", detail: expect.stringContaining("replayed") });
    const altered = await send(encodeJson({ key: kvcounter.publicKey, instances: 5 }));
    expect(altered).toMatchObject({ ok: false, detail: expect.stringContaining("tampered") });
    expect(await instancesOf(kvcounter.publicKey)).toBe(2);
    expect(await rejected("control:replayed")).toBe(1);
    expect(await rejected("control:tampered")).toBe(1);
  });

  it("the dashboard's actions are signed with the key it was started with; without one they are refused", async () => {
    const act = async (dashboard: Dashboard, instances: number): Promise<{ status: number; body: { ok: boolean; code?: string } }> => {
      const res = await fetch(`${dashboard.url}api/actions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ action: "scale", key: kvcounter.publicKey, instances, hostId: computeId }),
      });
      return { status: res.status, body: (await res.json()) as { ok: boolean; code?: string } };
    };
    const quiet = pino({ level: "silent" });
    const unsigned = await startDashboard({ url: nats.url, port: await freePort(), logger: quiet });
    const signed = await startDashboard({ url: nats.url, port: await freePort(), logger: quiet, signer: operator });
    try {
      expect(await act(unsigned, 4)).toEqual({ status: 401, body: expect.objectContaining({ ok: false, code: "WACTOR_ERR_CONTROL_REJECTED" }) });
      expect(await instancesOf(kvcounter.publicKey)).toBe(2);
      expect(await act(signed, 4)).toEqual({ status: 200, body: expect.objectContaining({ ok: true }) });
      expect(await instancesOf(kvcounter.publicKey)).toBe(4);
    } finally {
      await unsigned.close();
      await signed.close();
    }
  });

  it("an unsigned link put is refused by the provider host and not stored; the operator's is bound", async () => {
    const put = (extra: string[]): Promise<CliResult> => ctl(["link", "put", kvcounter.publicKey, "wascc:keyvalue", "--value", `URL=${redis.url}`, ...extra]);
    const refused = await put([]);
    expect(refused.status).toBe(1);
    expect(JSON.parse(refused.stdout)).toMatchObject({ stored: false, validations: [{ hostId: dataId, ok: false, code: "WACTOR_ERR_CONTROL_REJECTED" }] });
    expect(await reader.getLinks()).toEqual([]);
    expect(await bindingsOn(dataId)).toEqual([]);
    const signed = await put(["--operator-seed", operator.seed]);
    expect(JSON.parse(signed.stdout)).toMatchObject({ stored: true, validations: [{ hostId: dataId, ok: true }] });
    await eventually(async () => expect(await bindingsOn(dataId)).toEqual([`${kvcounter.publicKey.slice(0, 6)} wascc:keyvalue default`]));
    // A delete is a change made in KV: the hosts are asked first, and an unsigned one is refused.
    expectRefused(await ctl(["link", "del", kvcounter.publicKey, "wascc:keyvalue"]));
    expect((await reader.getLinks()).map((l) => l.binding)).toEqual(["default"]);
    expect(await bindingsOn(dataId)).toEqual([`${kvcounter.publicKey.slice(0, 6)} wascc:keyvalue default`]);
  });

  it("a link written straight into KV without the operator's key is not bound and is reported once; signed by the operator it is", async () => {
    const link = { actorKey: kvcounter.publicKey, capabilityId: "wascc:keyvalue", binding: "forged", values: { URL: redis.url, KEY_PREFIX: "attacker:" } };
    const unsigned = await LinkStore.open(reader.buckets, subjects.linksBucket);
    await unsigned.put(link);
    await (await LinkStore.open(reader.buckets, subjects.linksBucket, { signer: rogue })).put({ ...link, binding: "forged2" });
    await eventually(async () => expect(await rejected("links:unsigned")).toBe(2)); // reported by both hosts, once each
    await eventually(async () => expect(await rejected("links:untrusted-issuer")).toBe(2));
    expect(events.filter((e) => e.type === "state_rejected" && e.data.scope === "links").map((e) => e.data.reason)).toEqual(
      expect.arrayContaining(["unsigned", "untrusted-issuer"]),
    );
    expect(await bindingsOn(dataId)).not.toContain(`${kvcounter.publicKey.slice(0, 6)} wascc:keyvalue forged`);
    await (await LinkStore.open(reader.buckets, subjects.linksBucket, { signer: operator })).put(link);
    await eventually(async () => expect(await bindingsOn(dataId)).toContain(`${kvcounter.publicKey.slice(0, 6)} wascc:keyvalue forged`));
    expect(await rejected("links:unsigned")).toBe(2);
  });

  it("an unsigned app deploy deploys nothing and is counted; the operator's deploys", async () => {
    const manifest = file("greeter.yaml", [
      "name: greeter",
      'version: "1"',
      "actors:",
      `  - { source: ${echo.signedPath}, replicas: 1, spread: [ { labels: { role: compute } } ] }`,
    ]);
    const unsigned = await app(["deploy", manifest, "--timeout", "3"]);
    expect(unsigned.status).toBe(1);
    expect(unsigned.stderr).toContain("WACTOR_ERR_DEPLOY_TIMEOUT");
    await eventually(async () => expect(await rejected("apps:unsigned")).toBe(1));
    expect((await inventory(computeId)).actors.map((a) => a.key)).not.toContain(echo.publicKey);
    const signed = await app(["deploy", manifest, "--timeout", "60", "--operator-seed", operator.seed]);
    expect(signed.stdout).toContain("deployed greeter 1");
    expect((await inventory(computeId)).actors.map((a) => a.key)).toContain(echo.publicKey);
  });

  it("application versions written straight into KV: unsigned, by another key, or an old signed one written back are not acted on", async () => {
    const plain = await AppStore.open(reader.buckets, subjects);
    const current = (await plain.getDesired("greeter"))!;
    const forged: DesiredApp = { ...current, version: "2", deployedAt: new Date().toISOString(), undeployed: true };
    await plain.putDesired(forged);
    await eventually(async () => expect(await rejected("apps:unsigned")).toBe(2));
    await (await AppStore.open(reader.buckets, subjects, { signer: rogue })).putDesired(forged);
    await eventually(async () => expect(await rejected("apps:untrusted-issuer")).toBe(1));
    // The operator's next version is deployed ...
    await (await AppStore.open(reader.buckets, subjects, { signer: operator })).putDesired({ ...current, version: "3", deployedAt: new Date().toISOString() });
    await eventually(async () => expect(await plain.getStatus("greeter")).toMatchObject({ version: "3", phase: "deployed" }));
    // ... and its first version, written back with its good signature, is stale.
    const kv = await reader.buckets.kv(subjects.appsBucket, { history: 64 });
    const versions = [];
    for await (const entry of await kv.history({ key: "greeter" })) versions.push(entry.value);
    await kv.put("greeter", versions[1]!); // [0] is the unsigned deploy, [1] the operator's version 1
    await eventually(async () => expect(await rejected("apps:stale")).toBe(1));
    expect(await plain.getStatus("greeter")).toMatchObject({ version: "3" });
    expect(events.some((e) => e.type === "state_rejected" && e.data.scope === "apps" && e.data.reason === "stale" && e.data.key === "greeter")).toBe(true);
    expect((await inventory(computeId)).actors.map((a) => a.key)).toContain(echo.publicKey);
  });

  it("ping answers without a good proof from a trusted cluster key are left out by the reconciler, and reported", async () => {
    const real = (await reader.getHosts()).find((h) => h.id === computeId)!;
    expect(real.proof).toMatch(/^eyJ/);
    const fakeId = KeyPair.create("server").publicKey;
    const answers = [
      { ...real, id: KeyPair.create("server").publicKey, proof: undefined }, // unsigned
      { ...real, id: fakeId }, // a real proof copied onto another host
    ];
    let pings = 0;
    const subs = answers.map((answer) =>
      nc.subscribe(subjects.control("ping"), {
        callback: (_err, msg) => {
          pings++;
          msg.respond(encodeJson({ ok: true, result: answer }));
        },
      }),
    );
    try {
      await nc.flush();
      await eventually(async () => expect((await rejected("hosts:unsigned")) + (await rejected("hosts:tampered"))).toBe(2), { timeoutMs: 15_000 });
      expect(await rejected("hosts:tampered")).toBe(1);
      // Reported once per host id, however many more rounds the reconciler pings.
      const seen = pings;
      await eventually(() => expect(pings).toBeGreaterThanOrEqual(seen + 6), { timeoutMs: 15_000 });
      expect(await rejected("hosts:unsigned")).toBe(1);
      expect(await rejected("hosts:tampered")).toBe(1);
    } finally {
      for (const sub of subs) sub.unsubscribe();
    }
  });
});
