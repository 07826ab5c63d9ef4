/**
 * Applications across a lattice of real `wactor up --lattice` processes (real nats-server
 * with JetStream file storage): deploy -> traffic; a tampered actor refused before anything
 * starts; the reconciler's host and a replica's host killed with SIGKILL -> another leads
 * and the replicas run elsewhere, traffic back within 10 s; a rolling update under load with
 * zero failed requests; every host and NATS restarted -> the app comes back by itself;
 * undeploy leaves nothing running: actors, links and the providers it started (a provider
 * from a host's own manifest stays).
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeyPair } from "../src/claims/nkeys.js";
import { signModule } from "../src/claims/sign.js";
import { appendCustomSection, stripJwtSections } from "../src/claims/wasm-sections.js";
import { AppClient } from "../src/deploy/app-client.js";
import { loadAppManifest } from "../src/deploy/app-manifest.js";
import { Lease } from "../src/deploy/lease.js";
import { actor } from "./helpers/actors.js";
import { BIN, wactor } from "./helpers/cli.js";
import { eventually } from "./helpers/eventually.js";
import { freePort, startNats, type ServerHandle } from "./helpers/servers.js";
import { tamperCode } from "./helpers/tamper.js";
import { startUp, stopUp, waitForOutput, type UpProcess } from "./helpers/up-process.js";

const dir = mkdtempSync(join(tmpdir(), "wactor-apps-"));
const seed = KeyPair.create("cluster").seed;
const echo = actor("echo");
const KEYS = join(echo.path, "..", "keys");
const file = (name: string, text: string | Uint8Array): string => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};

/** The echo actor again, same identity, different code (a custom section): a new version to roll out. */
async function echoVersion(version: string): Promise<string> {
  const code = appendCustomSection(stripJwtSections(new Uint8Array(readFileSync(echo.path))), "wactor-version", new TextEncoder().encode(version));
  const { bytes } = await signModule(code, {
    issuer: KeyPair.fromSeed(readFileSync(join(KEYS, "account.nk"), "utf8")),
    subject: KeyPair.fromSeed(readFileSync(join(KEYS, "echo_module.nk"), "utf8")),
    caps: ["wascc:http_server"],
    name: "echo",
    ver: version,
  });
  return file(`echo-${version}.wasm`, bytes);
}

const appManifest = (version: string, source: string, port: number): string =>
  file(
    `shop-${version}.yaml`,
    [
      "name: shop",
      `version: "${version}"`,
      "actors:",
      `  - { source: ${source}, replicas: 2, instances: 2, spread: [ { labels: { role: worker } } ] }`,
      "providers:",
      "  - { capability: wascc:http_server, on: { role: edge } }",
      "  - { capability: wascc:keyvalue, on: { role: edge } }", // the edge host runs it from its own manifest
      "links:",
      `  - { actor: echo, capability: wascc:http_server, values: { PORT: "${port}" } }`,
      "",
    ].join("\n"),
  );

// Each test may deploy the application itself (to stand alone) and runs real processes on a
// shared machine: two minutes each, not vitest's default 30 s.
describe("applications across a lattice of processes", { timeout: 120_000 }, () => {
  let nats: ServerHandle;
  let apps: AppClient;
  let port: number;
  const hosts = new Map<string, UpProcess>(); // name -> process
  const ids = new Map<string, string>(); // name -> host id

  const startHost = async (name: string, role: string): Promise<void> => {
    // Edge hosts run a key-value provider of their own: the application uses it and must leave it alone.
    const own = role === "edge" ? "capabilities:\n  - { id: wascc:keyvalue }\n" : "";
    const manifest = file(`${name}.yaml`, `labels: { role: ${role}, name: ${name} }\n${own}`);
    const p = startUp([manifest, "--lattice", nats.url, "--cluster-seed", seed, "--heartbeat-ms", "300", "--reconcile-ms", "300", "--log-level", "warn"]);
    await waitForOutput(p, "lattice  default");
    hosts.set(name, p);
    ids.set(name, /host=(N[A-Z2-7]{55})/.exec(p.stdout())![1]!);
  };
  const kill = async (name: string): Promise<void> => {
    const p = hosts.get(name)!;
    p.child.kill("SIGKILL");
    await p.exited;
    hosts.delete(name);
  };
  const nameOf = (hostId: string): string => [...ids].find(([, id]) => id === hostId)?.[0] ?? hostId;
  const replicaHosts = async (): Promise<string[]> => {
    const status = (await apps.status("shop")).status;
    return (status?.actors[0]?.running ?? []).map((r) => nameOf(r.hostId)).sort();
  };
  const cli = (...args: string[]) => wactor(["app", ...args, "--lattice", nats.url]);
  const ok = async (path: string): Promise<boolean> =>
    (await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(3000) }).catch(() => undefined))?.status === 200;

  /**
   * Each test brings the application to the state it needs (deployed, at some version) when
   * it is not there yet, so any one of them runs alone with -t; returns the deployed version.
   */
  const shopDeployed = async (): Promise<string> => {
    const current = (await apps.status("shop").catch(() => undefined))?.status;
    if (current?.phase === "deployed") return current.version;
    const status = await apps.deploy(await loadAppManifest(appManifest("1", echo.signedPath, port)), { timeoutMs: 60_000 });
    expect(status).toMatchObject({ version: "1", phase: "deployed" });
    return "1";
  };
  const historyOf = (): Array<[string, boolean]> =>
    (JSON.parse(cli("history", "shop", "--json").stdout) as Array<{ version: string; undeployed: boolean }>).map((v) => [v.version, v.undeployed]);

  beforeAll(async () => {
    nats = await startNats({ jetstream: true });
    port = await freePort();
    await startHost("b", "worker"); // first up: it takes the reconciler lease
    for (const [name, role] of [
      ["c", "worker"],
      ["d", "worker"],
      ["e", "worker"],
      ["a", "edge"],
    ] as const)
      await startHost(name, role);
    apps = await AppClient.connect({ url: nats.url });
  });

  afterAll(async () => {
    await apps?.close();
    // All at once: one by one, a host still running an application's replicas gets the
    // replicas of each host that left before it, and stopping takes minutes on a busy machine.
    await Promise.all([...hosts.values()].map((p) => stopUp(p)));
    await nats?.stop();
  }, 120_000);

  it("deploys with `wactor app deploy`: two replicas on workers, the provider on the edge, traffic flows", async () => {
    const result = cli("deploy", appManifest("1", echo.signedPath, port), "--json", "--timeout", "60");
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ name: "shop", version: "1", phase: "deployed" });
    expect((await replicaHosts()).every((h) => ["b", "c", "d", "e"].includes(h))).toBe(true);
    expect(await replicaHosts()).toHaveLength(2);
    expect(await ok("/v1")).toBe(true);
    expect(cli("status", "shop").stdout).toContain("shop 1: deployed");
  });

  it("refuses an application whose actor's claims do not verify, before anything starts", async () => {
    const before = JSON.parse(cli("list", "--json").stdout) as Array<{ name: string }>;
    const tampered = tamperCode(new Uint8Array(readFileSync(echo.signedPath)));
    const bad = file("bad.yaml", `name: bad\nversion: "1"\nactors:\n  - { source: ${file("tampered.wasm", tampered)} }\n`);
    const result = cli("deploy", bad);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("error[WACTOR_ERR_HASH_MISMATCH]");
    // Nothing was stored: the list is what it was.
    expect(JSON.parse(cli("list", "--json").stdout)).toEqual(before);
  });

  it("kill -9 the reconciler's host, then a replica's host: another leads, replicas move, traffic back within 10 s", async () => {
    await shopDeployed();
    const client = apps.control;
    const lease = await Lease.open(client.buckets, client.subjects.leaseBucket, 1500);
    // Usually "b", the first host up; on a loaded machine the lease may have moved to another
    // worker since. Never the edge: it starts last, when a worker holds the lease already.
    const leader = nameOf((await lease.holder())!);
    expect(["b", "c", "d", "e"]).toContain(leader);
    expect(hosts.has(leader)).toBe(true);
    await kill(leader);
    await eventually(async () => expect(nameOf((await lease.holder()) ?? "")).not.toBe(leader), { timeoutMs: 10_000 });
    await eventually(
      async () => {
        expect(await replicaHosts()).toHaveLength(2);
        expect(await replicaHosts()).not.toContain(leader);
        expect(await ok("/after-leader")).toBe(true);
      },
      { timeoutMs: 10_000 },
    );
    const victim = (await replicaHosts())[0]!;
    await kill(victim);
    await eventually(
      async () => {
        const now = await replicaHosts();
        expect(now).toHaveLength(2);
        expect(now).not.toContain(victim);
        expect(await ok("/after-replica")).toBe(true);
      },
      { timeoutMs: 10_000 },
    );
  });

  it("rolls out a new version under load with zero failed requests; `app status --watch` follows it", async () => {
    const from = await shopDeployed();
    const to = String(Number(from) + 1);
    const watcher = spawn(process.execPath, [BIN, "app", "status", "shop", "--watch", "--lattice", nats.url], { stdio: ["ignore", "pipe", "pipe"] });
    let watched = "";
    watcher.stdout.setEncoding("utf8").on("data", (chunk: string) => (watched += chunk));
    await eventually(() => expect(watched).toContain(`shop ${from}: deployed`));
    let running = true;
    const outcomes: boolean[] = [];
    const load = Promise.all(
      [0, 1].map(async () => {
        for (let i = 0; running && i < 5000; i++) outcomes.push(await ok(`/rolling/${i}`));
      }),
    );
    await eventually(() => expect(outcomes.length).toBeGreaterThan(20));
    const status = await apps.deploy(await loadAppManifest(appManifest(to, await echoVersion(to), port)), { timeoutMs: 60_000 });
    const during = outcomes.length;
    await eventually(() => expect(outcomes.length).toBeGreaterThan(during + 20));
    running = false;
    await load;
    expect(status).toMatchObject({ version: to, phase: "deployed" });
    expect(status.actors[0]!.running.every((r) => r.current)).toBe(true);
    expect(outcomes.filter((o) => !o)).toEqual([]);
    // The watcher printed the rollout as it went, up to the new version deployed.
    await eventually(() => expect(watched).toContain(`shop ${to}: deployed`));
    expect(watched).toContain(`shop ${to}: reconciling`);
    const closed = once(watcher, "close");
    watcher.kill("SIGINT");
    await closed;
  });

  it("survives a full restart of every host and NATS: the app comes back by itself", async () => {
    const version = await shopDeployed();
    const names = [...hosts.keys()];
    for (const name of names) await kill(name);
    await nats.kill();
    await nats.restart(); // same store directory: JetStream file storage keeps the desired state
    await startHost("b", "worker");
    await startHost("c", "worker");
    await startHost("a", "edge");
    await eventually(async () => expect(await ok("/after-restart")).toBe(true), { timeoutMs: 30_000 });
    await eventually(async () => expect((await apps.status("shop")).status).toMatchObject({ version, phase: "deployed" }), { timeoutMs: 20_000 });
  });

  it("undeploy leaves nothing running (the provider it started included, the edge host's own kept); history keeps every version", async () => {
    const version = await shopDeployed();
    const versions = historyOf();
    const edgeId = ids.get("a")!;
    const before = (await apps.control.getHosts()).find((h) => h.id === edgeId)!;
    expect(before.providers.sort()).toEqual(["wascc:http_server", "wascc:keyvalue"]);
    expect(before.providerApps).toEqual({ "wascc:http_server": ["shop"] });
    const result = cli("undeploy", "shop", "--json");
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ phase: "undeployed" });
    const summaries = await apps.control.getHosts();
    expect(summaries.map((h) => h.id).sort()).toEqual(
      [...ids]
        .filter(([name]) => hosts.has(name))
        .map(([, id]) => id)
        .sort(),
    );
    expect(summaries.flatMap((h) => h.actorKeys)).toEqual([]);
    expect(summaries.map((h) => h.providerApps)).toEqual(summaries.map(() => ({})));
    expect(summaries.find((h) => h.id === edgeId)?.providers).toEqual(["wascc:keyvalue"]);
    expect(await apps.control.getLinks()).toEqual([]);
    expect(await ok("/gone")).toBe(false);
    // History keeps every version deployed, and the undeploy as one more entry.
    expect(versions.every(([, undeployed]) => !undeployed)).toBe(true);
    expect(versions.length).toBeGreaterThan(0);
    expect(historyOf()).toEqual([...versions, [version, true]]);
  });
});
