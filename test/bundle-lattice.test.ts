/**
 * A bundle across a lattice of three real `wactor up --lattice` processes (real nats-server
 * with JetStream): `wactor app deploy` (the CLI) of a manifest with `bundles:` puts the functions on the
 * two workers and the routes on the edge host; under a bounded load on the edge's route one
 * worker is SIGKILLed: the route keeps answering (a request fails only between the kill and
 * the functions being back) and every function runs on the surviving worker within 10 s.
 * The edge and the workers load the bundle from the object store with its seal checked: a
 * tampered archive is refused there (docs/directive.md, "Bundles on a lattice"). Its stream handler
 * and its schedule are served by the edge too.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "nats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeyPair } from "../src/claims/nkeys.js";
import { readZip, writeZip } from "../src/bundle/zip.js";
import { AppClient } from "../src/deploy/app-client.js";
import type { AppStatus } from "../src/deploy/app-types.js";
import { Lease } from "../src/deploy/lease.js";
import { moduleDigest } from "../src/lattice/state/artifact-store.js";
import { buildOverview } from "../src/ui/overview.js";
import { signedBundle, xDirective } from "./helpers/bundles.js";
import { wactorAsync } from "./helpers/cli.js";
import { eventually } from "./helpers/eventually.js";
import { freePort, startNats, type ServerHandle } from "./helpers/servers.js";
import { startUp, stopUp, waitForOutput, type UpProcess } from "./helpers/up-process.js";

const dir = mkdtempSync(join(tmpdir(), "wactor-bundle-lattice-"));
const seed = KeyPair.create("cluster").seed;
const FUNCTIONS = ["helloworld-rs", "modify-url", "fields", "cache-set", "cache-get", "echo"];
const DIRECTIVE = xDirective(
  `handlers:
  - type: request
    method: GET
    resource: /chain
    steps:
      - fn: helloworld-rs
      - { fn: modify-url, with: { url: helloworld-rs }, as: m }
      - fn: fields
  - { type: request, method: POST, resource: "/set/:key", steps: [ { fn: cache-set } ] }
  - { type: request, method: GET, resource: "/get/:key", steps: [ { fn: cache-get } ] }
  - { type: stream, resource: "greet.*", steps: [ { fn: helloworld-rs, as: hello }, { fn: fields } ] }
schedules:
  - { name: tick, every: { seconds: 1 }, steps: [ { fn: echo } ] }
`,
  FUNCTIONS,
);
const SPEC = {
  directive: DIRECTIVE,
  modules: Object.fromEntries(FUNCTIONS.map((f) => [f, f])),
  capsByFunction: { "cache-set": ["wascc:keyvalue"], "cache-get": ["wascc:keyvalue"] },
};
const file = (name: string, bytes: string | Uint8Array): string => {
  writeFileSync(join(dir, name), bytes);
  return join(dir, name);
};

describe("a bundle across a lattice: functions on workers, routes on the edge", { timeout: 90_000 }, () => {
  let nats: ServerHandle;
  let apps: AppClient;
  let port: number;
  let bundleFile: string;
  const hosts = new Map<string, UpProcess>();
  const ids = new Map<string, string>();

  const startHost = async (name: string, role: string): Promise<void> => {
    const manifest = file(`${name}.yaml`, `labels: { role: ${role}, name: ${name} }\n`);
    const p = startUp([manifest, "--lattice", nats.url, "--cluster-seed", seed, "--heartbeat-ms", "300", "--reconcile-ms", "300", "--log-level", "warn"]);
    await waitForOutput(p, "lattice  default");
    hosts.set(name, p);
    ids.set(name, /host=(N[A-Z2-7]{55})/.exec(p.stdout())![1]!);
  };
  const nameOf = (hostId: string): string => [...ids].find(([, id]) => id === hostId)?.[0] ?? hostId;
  /** Function name -> the hosts it runs on (running), from the application's status. */
  const placement = async (): Promise<Map<string, string[]>> => {
    const status = (await apps.status("shop")).status;
    return new Map((status?.actors ?? []).map((a) => [a.name ?? a.key, a.running.filter((r) => r.state === "running").map((r) => nameOf(r.hostId))]));
  };
  const base = (): string => `http://127.0.0.1:${port}`;
  const chain = async (): Promise<boolean> => {
    const r = await fetch(`${base()}/chain?state=m`, { signal: AbortSignal.timeout(15_000) }).catch(() => undefined);
    if (r?.status !== 200) return false;
    return ((await r.json()) as { state?: string }).state === "hello /suborbital";
  };

  beforeAll(async () => {
    nats = await startNats({ jetstream: true });
    port = await freePort();
    bundleFile = file("chain.wasm.zip", await signedBundle(SPEC));
    // The edge first: it takes the reconciler lease, so killing a worker measures healing, not a lease hand-over.
    await startHost("edge", "edge");
    await Promise.all([startHost("w1", "worker"), startHost("w2", "worker")]);
    apps = await AppClient.connect({ url: nats.url });
  }, 60_000);

  afterAll(async () => {
    await apps?.close();
    await Promise.all([...hosts.values()].map((p) => stopUp(p)));
    await nats?.stop();
  }, 60_000);

  it("deploys the bundle, keeps answering through a worker's SIGKILL, and heals onto the surviving worker", async () => {
    const manifest = file(
      "shop.yaml",
      [
        "name: shop",
        'version: "1"',
        "bundles:",
        `  - { source: ${bundleFile}, workers: { role: worker }, edge: { role: edge }, port: ${port}, messaging: { URL: "${nats.url}" } }`,
        "providers:", // the functions' cache: one keyvalue provider, on the edge, for functions on any worker
        "  - { capability: wascc:keyvalue, on: { role: edge } }",
        "",
      ].join("\n"),
    );
    const result = await wactorAsync(["app", "deploy", manifest, "--json", "--timeout", "30", "--lattice", nats.url], { timeoutMs: 40_000 });
    expect(result.status).toBe(0);
    const deployed = JSON.parse(result.stdout) as AppStatus;
    expect(deployed.phase).toBe("deployed");
    expect(deployed.bundles?.map((b) => [b.identifier, b.edges.map(nameOf)])).toEqual([["com.suborbital.test", ["edge"]]]);
    expect(deployed.bundles?.[0]?.scheduler).toBe(ids.get("edge"));
    const before = await placement();
    expect([...before.keys()].sort()).toEqual(FUNCTIONS.map((f) => `default::${f}`).sort());
    for (const running of before.values()) expect(running.every((h) => h === "w1" || h === "w2") && running.length === 1).toBe(true);
    expect(await chain()).toBe(true);
    const statusText = (await wactorAsync(["app", "status", "shop", "--lattice", nats.url])).stdout;
    expect(statusText).toContain("shop 1: deployed");
    expect(statusText).toContain(`bundle com.suborbital.test@v0.0.1 routes: ${ids.get("edge")!.slice(0, 10)}… serving`);
    // The dashboard's overview: what the bundle serves, where, and its functions running / wanted.
    const shown = (await buildOverview(apps)).apps.find((a) => a.name === "shop")!.bundles;
    expect(shown).toMatchObject([
      {
        identifier: "com.suborbital.test",
        routes: ["GET /chain", "POST /set/:key", "GET /get/:key", "stream greet.*"],
        schedules: ["tick"],
        edges: [ids.get("edge")],
        scheduler: ids.get("edge"),
      },
    ]);
    expect(shown[0]!.functions.map((f) => [f.name, f.running, f.desired]).sort()).toEqual(FUNCTIONS.map((f) => [`default::${f}`, 1, 1]).sort());
    // Step times: a route's first run is timed (then one in eight); they reach the dashboard with the edge's next heartbeat.
    const steps = await eventually(async () => {
      const timed = (await buildOverview(apps)).apps.find((a) => a.name === "shop")!.bundles[0]!.steps.filter((t) => t.target === "GET /chain");
      expect(timed.length).toBe(3);
      return timed;
    });
    expect(steps.map((t) => [t.step, t.what])).toEqual([
      [0, "fn helloworld-rs"],
      [1, "fn modify-url"],
      [2, "fn fields"],
    ]);
    for (const t of steps) expect(t.count >= 1 && t.meanMs > 0 && t.maxMs >= t.meanMs).toBe(true);
    // cache-set and cache-get are linked to the one cache (SHARED=<identifier>) wherever they run.
    expect((await fetch(`${base()}/set/color`, { method: "POST", body: "teal" })).status).toBe(200);
    expect(await (await fetch(`${base()}/get/color`)).text()).toBe("teal");

    // The stream handler is served by the edge: a message runs its steps on the workers, the answer comes back.
    const nc = await connect({ servers: nats.url });
    const reply = await nc.request("greet.ann", new TextEncoder().encode("world"), { timeout: 10_000 });
    expect(JSON.parse(new TextDecoder().decode(reply.data))).toMatchObject({ method: "STREAM", url: "greet.ann", body: "world" });
    await nc.close();
    // The schedule runs (on the edge, its one scheduler): its function, used by no route, is invoked on a worker.
    const echoKey = (await apps.status("shop")).status!.actors.find((a) => a.name === "default::echo")!.key;
    await eventually(
      async () => {
        const runs = (await apps.control.getHosts(500, 100)).flatMap((h) => h.actors.filter((a) => a.key === echoKey).map((a) => a.invocations));
        expect(runs.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(2);
      },
      { timeoutMs: 10_000 },
    );

    // The victim: the worker running the most functions (the edge leads the reconciler).
    const lease = await Lease.open(apps.control.buckets, apps.control.subjects.leaseBucket, 1500);
    expect(nameOf((await lease.holder()) ?? "")).toBe("edge");
    const count = (w: string): number => [...before.values()].filter((r) => r.includes(w)).length;
    const victim = count("w1") >= count("w2") ? "w1" : "w2";
    const survivor = victim === "w1" ? "w2" : "w1";

    // Bounded load: 4 loops, at most 25 s and 4,000 requests in all.
    const results: Array<{ at: number; end: number; ok: boolean }> = [];
    let running = true;
    const loadEnds = Date.now() + 25_000;
    const loop = async (): Promise<void> => {
      while (running && Date.now() < loadEnds && results.length < 4000) {
        const at = Date.now();
        const ok = await chain();
        results.push({ at, end: Date.now(), ok });
      }
    };
    const load = Promise.all([loop(), loop(), loop(), loop()]);
    await eventually(() => expect(results.length).toBeGreaterThan(20), { timeoutMs: 10_000 });
    const killedAt = Date.now();
    hosts.get(victim)!.child.kill("SIGKILL");
    await hosts.get(victim)!.exited;
    hosts.delete(victim);
    await eventually(
      async () => {
        const now = await placement();
        for (const fn of FUNCTIONS) expect(now.get(`default::${fn}`)).toEqual([survivor]);
      },
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    const healedAt = Date.now();
    const servedBefore = results.length;
    await eventually(() => expect(results.length).toBeGreaterThan(servedBefore + 20), { timeoutMs: 10_000 });
    running = false;
    await load;

    const failed = results.filter((r) => !r.ok);
    const after = results.filter((r) => r.at > healedAt);
    const slowest = Math.max(...results.filter((r) => r.end >= killedAt && r.at <= healedAt).map((r) => r.end - r.at));
    console.log(
      `bundle lattice: healed in ${healedAt - killedAt} ms; ${results.length} requests, ${failed.length} failed` +
        ` (answered ${failed.map((f) => f.end - killedAt).join(", ")} ms after the kill); slowest around the kill ${slowest} ms; ${after.length} after healing`,
    );
    // A request fails (if at all) only when it was in flight or made between the kill and the
    // functions being back; every request made after that answers.
    for (const f of failed) expect(f.end).toBeGreaterThanOrEqual(killedAt);
    for (const f of failed) expect(f.at).toBeLessThanOrEqual(healedAt);
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((r) => r.ok)).toBe(true);
    expect((await apps.status("shop")).status?.phase).toBe("deployed");
    // The cache lives with its provider on the edge: what was set before the kill is still there.
    expect(await (await fetch(`${base()}/get/color`)).text()).toBe("teal");
  });

  it("a new version of the bundle replaces the functions and the routes; the old ones are gone", async () => {
    // After the first test (one worker left), or on its own: version 1 first.
    const v1 = (await apps.status("shop").catch(() => undefined))?.status;
    const manifestOf = (version: string, source: string): string =>
      file(
        `shop-${version}.yaml`,
        `name: shop\nversion: "${version}"\nbundles:\n  - { source: ${source}, workers: { role: worker }, edge: { role: edge }, port: ${port} }\n` +
          "providers:\n  - { capability: wascc:keyvalue, on: { role: edge } }\n",
      );
    if (v1?.phase !== "deployed")
      expect((await wactorAsync(["app", "deploy", manifestOf("1", bundleFile), "--lattice", nats.url], { timeoutMs: 40_000 })).status).toBe(0);
    const oldKeys = (await apps.status("shop")).status!.actors.map((a) => a.key);
    const v2 = file(
      "chain-v2.wasm.zip",
      await signedBundle({
        ...SPEC,
        directive: `${DIRECTIVE}\n`.replace("handlers:\n", "handlers:\n  - { type: request, method: GET, resource: /v2, steps: [ { fn: fields } ] }\n"),
      }),
    );
    const result = await wactorAsync(["app", "deploy", manifestOf("2", v2), "--json", "--timeout", "30", "--lattice", nats.url], { timeoutMs: 40_000 });
    // On failure: what the deploy waited for, and what the reconcilers said.
    const said = (): string =>
      [...hosts]
        .map(
          ([name, p]) =>
            `${name}: ${p
              .stderr()
              .split("\n")
              .filter((l) => l.includes("reconciler"))
              .slice(-8)
              .join("\n")}`,
        )
        .join("\n");
    expect({ status: result.status, stderr: result.status === 0 ? "" : `${result.stderr.slice(-2000)}\n${said()}` }).toEqual({ status: 0, stderr: "" });
    expect((JSON.parse(result.stdout) as AppStatus).phase).toBe("deployed");
    expect((await fetch(`${base()}/v2`)).status).toBe(200);
    expect(await chain()).toBe(true);
    const summaries = await apps.control.getHosts(500, 100);
    const edge = summaries.find((h) => h.id === ids.get("edge"))!;
    expect(edge.bundles?.map((b) => b.owner)).toEqual([{ app: "shop", version: "2" }]);
    // The functions of version 1 (other module keys: the modules were signed anew) run nowhere.
    await eventually(async () => {
      const running = (await apps.control.getHosts(500, 100)).flatMap((h) => h.actorKeys);
      for (const key of oldKeys) expect(running).not.toContain(key);
    });
  });

  it("a host refuses a bundle whose archive in the object store no longer matches its seal", async () => {
    const entries = readZip(await signedBundle(SPEC), "t.wasm.zip");
    entries.set("Directive.yaml", new TextEncoder().encode(`${new TextDecoder().decode(entries.get("Directive.yaml"))}\n# changed\n`));
    const tampered = writeZip(entries);
    const digest = moduleDigest(tampered);
    await apps.control.artifacts.store.put(digest, tampered);
    const edge = ids.get("edge")!;
    await expect(apps.control.startBundle(edge, { digest, port: 0 })).rejects.toMatchObject({ code: "WACTOR_ERR_BUNDLE_TAMPERED" });
    const worker = ids.get(hosts.has("w1") ? "w1" : "w2")!;
    const someModule = moduleDigest(readZip(tampered, "t").get("fields.wasm")!);
    await expect(apps.control.startActor({ ref: someModule, bundle: digest }, { hostId: worker })).rejects.toMatchObject({
      code: "WACTOR_ERR_BUNDLE_TAMPERED",
    });
  });
});
