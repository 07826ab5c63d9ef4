/**
 * The lattice on a production-shaped NATS (real nats-server processes on loopback): a
 * 3-node JetStream cluster whose buckets are created at R3, the links stream's leader stepped
 * down (the hosts' link watches go on), a node SIGKILLed under a steady invocation and
 * state-write load (any node, then the leader of the links stream), and a
 * leaf-node edge site whose host serves one application together with a host on the cluster.
 * Loads are bounded in count and time; waits poll, generously, on a shared 2-core machine.
 */
import { encode } from "@msgpack/msgpack";
import { connect } from "nats";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeyPair } from "../src/claims/nkeys.js";
import { AppClient } from "../src/deploy/app-client.js";
import { loadAppManifest } from "../src/deploy/app-manifest.js";
import { AppStore } from "../src/deploy/app-store.js";
import { Lease } from "../src/deploy/lease.js";
import { runReconciler, type RunningReconciler } from "../src/deploy/run-reconciler.js";
import { isWactorError } from "../src/errors.js";
import { LinkStore } from "../src/lattice/state/link-store.js";
import { ControlClient } from "../src/lattice/mod.js";
import { transientRetries } from "../src/lattice/wire/transient.js";
import { actor } from "./helpers/actors.js";
import { eventually } from "./helpers/eventually.js";
import { joinMember, leaveMember, type Member } from "./helpers/lattice-member.js";
import { startNatsCluster, startNatsLeaf, waitForJetStream, type NatsCluster, type NatsNode } from "./helpers/nats-cluster.js";
import { freePort } from "./helpers/servers.js";
import { testLogger } from "./helpers/test-logger.js";

const cluster = KeyPair.create("cluster");
const echo = actor("echo");
const dir = mkdtempSync(join(tmpdir(), "wactor-cluster-"));
const request = encode({ method: "GET", path: "/", queryString: "", header: {}, body: new Uint8Array() });
const logger = testLogger("test");
/** Links written under load name an actor no application owns (the reconciler prunes an owned actor's unknown links). */
const PROBE_ACTOR = KeyPair.create("module").publicKey;

function appFile(name: string, lines: string[]): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, [...lines, ""].join("\n"));
  return file;
}

interface LoadResult {
  ok: number;
  /** Catalog codes of failed invocations (those in flight on the killed server's connections). */
  failed: string[];
  /** Keys whose write was acknowledged. */
  acknowledged: string[];
  writeFailures: number;
  okAfterKill: number;
}

/**
 * Invocations from `caller` (two loops) and link and application writes (one loop) until
 * `stop()`; `kill` runs once the load is steady. Each loop is bounded in count.
 */
async function underLoad(
  caller: Member,
  links: LinkStore,
  apps: AppStore,
  tag: string,
  kill: () => Promise<void>,
  resumed: (r: LoadResult) => boolean,
): Promise<LoadResult> {
  const result: LoadResult = { ok: 0, failed: [], acknowledged: [], writeFailures: 0, okAfterKill: 0 };
  let killed = false;
  let stopping = false;
  const invoker = async (): Promise<void> => {
    for (let i = 0; i < 20_000 && !stopping; i++) {
      try {
        await caller.lattice.invoke(echo.publicKey, "HandleRequest", request);
        result.ok++;
        if (killed) result.okAfterKill++;
      } catch (err) {
        result.failed.push(isWactorError(err) ? err.code : String(err));
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  };
  const writer = async (): Promise<void> => {
    for (let i = 0; i < 5_000 && !stopping; i++) {
      const key = `${tag}-${i}`;
      try {
        if (i % 2 === 0) await links.put({ actorKey: PROBE_ACTOR, capabilityId: "wactor:probe", binding: key, values: { N: String(i) } });
        else
          await apps.putDesired({
            name: key,
            version: "1",
            deployedAt: new Date().toISOString(),
            undeployed: true,
            actors: [],
            providers: [],
            links: [],
            owned: [],
          });
        result.acknowledged.push(key);
      } catch {
        result.writeFailures++;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  };
  const loops = [invoker(), invoker(), writer()];
  try {
    await eventually(() => expect(result.ok).toBeGreaterThan(50), { timeoutMs: 30_000 });
    await kill();
    killed = true;
    await eventually(() => expect(resumed(result)).toBe(true), { timeoutMs: 30_000 });
  } finally {
    stopping = true;
    // Every call settles (success or a catalog error): none hangs.
    await Promise.all(loops);
  }
  return result;
}

/** Acknowledged keys missing from the links and applications buckets (read again until the cluster answers). */
function lostWrites(links: LinkStore, apps: AppStore, acknowledged: string[]): Promise<string[]> {
  return eventually(
    async () => {
      const stored = new Set((await links.list()).map((l) => l.binding));
      for (const app of await apps.listDesired()) stored.add(app.name);
      return acknowledged.filter((key) => !stored.has(key));
    },
    { timeoutMs: 30_000, intervalMs: 500 },
  );
}

describe("a 3-node JetStream cluster with a leaf node", () => {
  let nats: NatsCluster;
  let leaf: NatsNode;
  let control: ControlClient;
  let apps: AppClient;
  let links: LinkStore;
  const members: Member[] = [];
  const reconcilers: RunningReconciler[] = [];
  let w1: Member;
  let w2: Member;
  let caller: Member;
  let echoV1: string;

  const join = async (url: string, labels: Record<string, string>, capabilities: string[] = [], jsDomain?: string): Promise<Member> => {
    const m = await joinMember(url, { cluster, labels, capabilities, heartbeatMs: 300, ...(jsDomain && { access: { jsDomain } }) });
    members.push(m);
    return m;
  };
  const nodeNamed = (name: string | undefined): NatsNode => {
    const node = nats.nodes.find((n) => n.name === name);
    if (!node) throw new Error(`no node named ${name}`);
    return node;
  };
  const allHealthy = async (): Promise<void> => {
    const state = await control.getLatticeState();
    expect(state.buckets.length).toBeGreaterThanOrEqual(5);
    for (const b of state.buckets) expect({ bucket: b.bucket, state: b.state, current: b.current }).toEqual({ bucket: b.bucket, state: "ok", current: 3 });
  };

  beforeAll(async () => {
    nats = await startNatsCluster({ size: 3, leafnodes: true, domain: "hub" });
    w1 = await join(nats.url, { role: "worker" });
    w2 = await join(nats.url, { role: "worker" });
    caller = await join(nats.url, { role: "caller" }, ["wascc:http_server"]);
    for (const m of [w1, w2])
      reconcilers.push(
        await runReconciler({
          url: nats.url,
          lattice: "default",
          holder: m.lattice.hostId,
          logger: testLogger(`reconciler ${m.lattice.hostId.slice(0, 8)}`),
          intervalMs: 300,
        }),
      );
    control = await ControlClient.connect({ url: nats.url, timeoutMs: 5000 });
    apps = await AppClient.connect({ url: nats.url });
    links = await LinkStore.open(control.buckets, control.subjects.linksBucket);
    echoV1 = appFile("echo-1", [
      "name: echo",
      'version: "1"',
      "actors:",
      `  - { source: ${echo.signedPath}, replicas: 2, instances: 2, spread: [ { labels: { role: worker } } ] }`,
    ]);
    await apps.deploy(await loadAppManifest(echoV1), { timeoutMs: 60_000 });
  }, 120_000);

  afterAll(async () => {
    for (const r of reconcilers) await r.stop().catch(() => {});
    for (const m of members.reverse()) await leaveMember(m).catch(() => {});
    await apps?.close();
    await control?.close();
    await leaf?.stop();
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("creates every lattice bucket with three replicas, all current", async () => {
    const state = await control.getLatticeState();
    expect(state.server.cluster).toBe("wactor");
    expect(state.buckets.map((b) => b.bucket).sort()).toEqual([
      "wactor_default_actors",
      "wactor_default_app_status",
      "wactor_default_apps",
      "wactor_default_claims",
      "wactor_default_leases",
      "wactor_default_links",
    ]);
    for (const b of state.buckets) expect(b.replicas).toBe(3);
    await eventually(allHealthy, { timeoutMs: 30_000 });
  }, 60_000);

  it("a step-down of the links stream's leader: every host's link sync keeps delivering", async () => {
    const before = (await control.getLatticeState()).buckets.find((b) => b.bucket === "wactor_default_links")!.leader;
    const nc = await connect({ servers: nats.url.split(",") });
    try {
      const reply = await nc.request("$JS.API.STREAM.LEADER.STEPDOWN.KV_wactor_default_links", undefined, { timeout: 5000 });
      expect(JSON.parse(new TextDecoder().decode(reply.data))).toMatchObject({ success: true });
    } finally {
      await nc.close();
    }
    await eventually(
      async () => {
        const leader = (await control.getLatticeState()).buckets.find((b) => b.bucket === "wactor_default_links")!.leader;
        expect(leader).toBeDefined();
        expect(leader).not.toBe(before);
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    await eventually(() => links.put({ actorKey: PROBE_ACTOR, capabilityId: "wactor:probe", binding: "after-stepdown", values: {} }), {
      timeoutMs: 30_000,
      intervalMs: 500,
    });
    for (const m of members)
      await eventually(() => expect(m.host.bindings.has(PROBE_ACTOR, "wactor:probe", "after-stepdown")).toBe(true), { timeoutMs: 45_000, intervalMs: 200 });
  }, 120_000);

  it("SIGKILL of the server an actor's host is connected to: no acknowledged write lost, invocations resume, the host fails over", async () => {
    const victim = nodeNamed(w1.lattice.natsServer);
    try {
      logger.info({ victim: victim.name }, "killing the server an actor's host is on");
      const result = await underLoad(
        caller,
        links,
        apps.store,
        "any",
        () => victim.kill(),
        (r) => r.okAfterKill > 100 && r.acknowledged.length > 20,
      );
      // The host reconnected to one of the other servers.
      await eventually(() => expect([undefined, victim.name]).not.toContain(w1.lattice.natsServer), { timeoutMs: 20_000 });
      for (const code of result.failed) expect(code).toMatch(/^WACTOR_ERR_(LATTICE_|ACTOR_STOPPED)/);
      // The state is degraded, not lost: every bucket keeps a quorum.
      await eventually(
        async () => {
          for (const b of (await control.getLatticeState()).buckets) expect(["ok", "degraded"]).toContain(b.state);
        },
        { timeoutMs: 30_000, intervalMs: 500 },
      );
      expect(await lostWrites(links, apps.store, result.acknowledged)).toEqual([]);
    } finally {
      await victim.restart();
    }
    await eventually(allHealthy, { timeoutMs: 60_000, intervalMs: 500 });
  }, 180_000);

  it("SIGKILL of the links stream's leader: no acknowledged write lost, invocations resume, a redeploy converges", { timeout: 240_000 }, async () => {
    const leaderName = (await control.getLatticeState()).buckets.find((b) => b.bucket === "wactor_default_links")!.leader;
    const victim = nodeNamed(leaderName);
    try {
      logger.info({ victim: victim.name }, "killing the links stream's leader");
      const result = await underLoad(
        caller,
        links,
        apps.store,
        "leader",
        () => victim.kill(),
        (r) => r.okAfterKill > 100 && r.acknowledged.length > 20,
      );
      for (const code of result.failed) expect(code).toMatch(/^WACTOR_ERR_(LATTICE_|ACTOR_STOPPED)/);
      await eventually(
        async () => {
          const b = (await control.getLatticeState()).buckets.find((x) => x.bucket === "wactor_default_links")!;
          logger.debug({ bucket: b }, "links stream after the kill");
          // The whole health in the failure message: state, lagging replicas, why it is unknown.
          expect(b).toMatchObject({ leader: expect.any(String) });
          expect(b.leader).not.toBe(victim.name);
        },
        { timeoutMs: 30_000, intervalMs: 500 },
      );
      expect(await lostWrites(links, apps.store, result.acknowledged)).toEqual([]);
      // The reconciler's lease is held by one of the hosts (kept, or taken over).
      // Opening the bucket is a JetStream request: it may time out while the cluster settles.
      const lease = await eventually(() => Lease.open(control.buckets, control.subjects.leaseBucket, 1500), { timeoutMs: 30_000, intervalMs: 500 });
      await eventually(async () => expect([w1.lattice.hostId, w2.lattice.hostId]).toContain(await lease.holder()), { timeoutMs: 30_000, intervalMs: 500 });
      // A reconciler leads (the old lease or a new leader) and rolls out a new version with one node down.
      const v2 = appFile("echo-2", [
        "name: echo",
        'version: "2"',
        "actors:",
        `  - { source: ${echo.signedPath}, replicas: 2, instances: 1, spread: [ { labels: { role: worker } } ] }`,
      ]);
      logger.info("deploying v2");
      const status = await apps.deploy(await loadAppManifest(v2), { timeoutMs: 90_000, onStatus: (s) => logger.info({ status: s }, "v2 status") });
      logger.info({ transientRetries: transientRetries() }, "JetStream reads retried in this process so far");
      expect(status.version).toBe("2");
      expect(status.phase).toBe("deployed");
    } finally {
      await victim.restart();
    }
    await eventually(allHealthy, { timeoutMs: 60_000, intervalMs: 500 });
  });

  it("a host on a leaf node (JetStream domain of the hub) and a host on the cluster serve one application together", async () => {
    // The cluster's echo replicas go, so that only the edge site runs the actor.
    await apps.undeploy("echo", { timeoutMs: 60_000 });
    leaf = await startNatsLeaf(nats.leafPorts, { domain: "edge" });
    await waitForJetStream(leaf.url, { domain: "hub" });
    const edge = await join(leaf.url, { site: "edge" }, [], "hub");
    expect(edge.lattice.natsServer).toBe("leaf1");
    const port = await freePort();
    const manifest = appFile("edge-app", [
      "name: edge-app",
      'version: "1"',
      "actors:",
      // The actor runs on the edge site only; the HTTP provider that calls it runs on the cluster.
      `  - { source: ${echo.signedPath}, replicas: 1, instances: 1, spread: [ { labels: { site: edge } } ] }`,
      "providers:",
      "  - { capability: wascc:http_server, on: { role: caller } }",
      "links:",
      `  - { actor: echo, capability: wascc:http_server, binding: edge, values: { PORT: "${port}" } }`,
    ]);
    const status = await apps.deploy(await loadAppManifest(manifest), { timeoutMs: 90_000 });
    expect(status.phase).toBe("deployed");
    await eventually(() => expect(edge.host.listActors().map((a) => a.key)).toEqual([echo.publicKey]), { timeoutMs: 30_000 });
    const response = await eventually(
      async () => {
        const r = await fetch(`http://127.0.0.1:${port}/from-the-core`);
        expect(r.status).toBe(200);
        return (await r.json()) as { path: string };
      },
      { timeoutMs: 30_000 },
    );
    expect(response.path).toBe("/from-the-core");
    // The edge host served it (the actor runs nowhere else under this binding's app).
    await eventually(() => expect(edge.lattice.summary().actors.find((a) => a.key === echo.publicKey)?.invocations).toBeGreaterThan(0));
  }, 180_000);
});
