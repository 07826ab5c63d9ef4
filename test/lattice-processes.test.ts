/**
 * A lattice of separate `wactor up --lattice` processes on a real nats-server (JetStream):
 * the waSCC demo (HTTP on one host, the actor on another, Redis on a third), load shared by
 * two hosts, forged invocations refused by a process host, NATS restarted under light load,
 * and a host killed with SIGKILL dropping out of `get hosts`.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decode, encode } from "@msgpack/msgpack";
import { Redis } from "ioredis";
import { connect, type NatsConnection } from "nats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeyPair } from "../src/claims/nkeys.js";
import { ControlClient, InvocationSigner, encodeInvocation, latticeSubjects, type Invocation } from "../src/lattice/mod.js";
import { actor } from "./helpers/actors.js";
import { wactor } from "./helpers/cli.js";
import { eventually } from "./helpers/eventually.js";
import { freePort, startNats, startRedis, type ServerHandle } from "./helpers/servers.js";
import { startUp, stopUp, waitForOutput, type UpProcess } from "./helpers/up-process.js";
import { httpOk } from "./helpers/http-reply.js";

const HEARTBEAT_MS = 300;
const dir = mkdtempSync(join(tmpdir(), "wactor-lattice-procs-"));
const cluster = KeyPair.create("cluster");
const kvcounter = actor("kvcounter");

function manifest(name: string, lines: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}

const hostIdOf = (up: UpProcess): string => /host=(N[A-Z2-7]{55})/.exec(up.stdout())![1]!;

describe("lattice of separate processes", () => {
  let nats: ServerHandle;
  let redis: ServerHandle;
  let redisClient: Redis;
  let client: ControlClient;
  let nc: NatsConnection;
  const procs: UpProcess[] = [];
  let compute: UpProcess;
  let data: UpProcess;
  let second: UpProcess; // a second compute host, from "two hosts ... share the load" on
  let httpPort: number;
  const metricsPorts: number[] = [];

  const up = async (file: string, extra: string[] = []): Promise<UpProcess> => {
    const p = startUp([file, "--lattice", nats.url, "--cluster-seed", cluster.seed, "--heartbeat-ms", String(HEARTBEAT_MS), "--log-level", "warn", ...extra]);
    procs.push(p);
    await waitForOutput(p, "lattice  default");
    return p;
  };

  const invocationsOn = async (metricsPort: number): Promise<number> => {
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const line = text.split("\n").find((l) => l.startsWith('wactor_invocations_total{actor="kvcounter",operation="HandleRequest",outcome="ok"}'));
    return line ? Number(line.split(" ").pop()) : 0;
  };

  beforeAll(async () => {
    [nats, redis] = await Promise.all([startNats({ jetstream: true }), startRedis()]);
    redisClient = new Redis(redis.url);
    httpPort = await freePort();
    metricsPorts.push(await freePort(), await freePort());
    compute = await up(manifest("compute.yaml", ["labels: { role: compute }", "actors:", `  - ${kvcounter.signedPath}`]), [
      "--metrics-port",
      String(metricsPorts[0]),
    ]);
    data = await up(
      manifest("data.yaml", [
        "labels: { role: data }",
        "capabilities: [ { id: wascc:keyvalue } ]",
        "bindings:",
        `  - { actor: ${kvcounter.publicKey}, capability: wascc:keyvalue, values: { URL: "${redis.url}", KEY_PREFIX: "procs:" } }`,
      ]),
    );
    await up(
      manifest("edge.yaml", [
        "labels: { role: edge }",
        "capabilities: [ { id: wascc:http_server } ]",
        "bindings:",
        `  - { actor: ${kvcounter.publicKey}, capability: wascc:http_server, values: { PORT: "${httpPort}" } }`,
      ]),
    );
    client = await ControlClient.connect({ url: nats.url });
    nc = await connect({ servers: nats.url });
  });

  afterAll(async () => {
    await nc?.close();
    await client?.close();
    for (const p of procs) await stopUp(p);
    redisClient?.disconnect();
    await Promise.all([nats?.stop(), redis?.stop()]);
  });

  it("HTTP on the edge host, the actor on the compute host, Redis on the data host", async () => {
    const hosts = await client.getHosts();
    expect(hosts.map((h) => h.labels.role).sort()).toEqual(["compute", "data", "edge"]);
    for (let i = 1; i <= 3; i++) {
      const res = await fetch(`http://127.0.0.1:${httpPort}/demo`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ counter: i });
    }
    expect(await redisClient.get("procs::demo")).toBe("3");
  });

  it("a host process refuses forged, replayed, untrusted and unsigned invocations", async () => {
    const subject = latticeSubjects("default").actor(kvcounter.publicKey);
    const request = encode({ method: "GET", path: "/forged", queryString: "", header: {}, body: new Uint8Array() });
    const send = async (inv: Invocation) =>
      decode((await nc.request(subject, encodeInvocation(inv), { timeout: 5000 })).data) as { msg?: Uint8Array; error?: { code: string; detail: string } };
    const origin = { kind: "actor" as const, key: KeyPair.create("server").publicKey };
    const target = { kind: "actor" as const, key: kvcounter.publicKey };
    const trusted = new InvocationSigner({ clusterKey: cluster, hostId: origin.key });
    const good = trusted.sign(origin, target, "HandleRequest", request);
    expect(httpOk((await send(good)).msg).text).toMatch(/"counter":\s*\d+/);
    const cases: Array<[Invocation, string]> = [
      [
        {
          ...trusted.sign(origin, target, "HandleRequest", request),
          msg: encode({ method: "GET", path: "/changed", queryString: "", header: {}, body: new Uint8Array() }),
        },
        "tampered",
      ],
      [good, "replayed"],
      [new InvocationSigner({ clusterKey: KeyPair.create("cluster"), hostId: origin.key }).sign(origin, target, "HandleRequest", request), "untrusted-issuer"],
      [{ ...trusted.sign(origin, target, "HandleRequest", request), encodedClaims: "" }, "unsigned"],
    ];
    for (const [inv, reason] of cases) {
      const reply = await send(inv);
      expect(reply.error).toMatchObject({ code: "WACTOR_ERR_INVOCATION_REJECTED", detail: expect.stringContaining(reason) });
    }
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPorts[0]}/metrics`)).text();
    for (const reason of ["tampered", "replayed", "untrusted-issuer", "unsigned"])
      expect(metrics).toContain(`wactor_lattice_rejected_total{reason="${reason}"} 1`);
    expect(await redisClient.get("procs::changed")).toBeNull();
  });

  it("wactor call --lattice reaches the actor on another host, signed with the cluster's seed", () => {
    const call = (seed?: string) =>
      wactor(["call", "kvcounter", "HandleRequest", "--data", '{"path":"/cli"}', "--lattice", nats.url, ...(seed ? ["--cluster-seed", seed] : [])]);
    const ok = call(cluster.seed);
    expect(ok.stderr).toBe("");
    expect(JSON.parse(ok.stdout)).toMatchObject({ statusCode: 200, body: { counter: 1 } });
    const outsider = call(KeyPair.create("cluster").seed);
    expect(outsider.status).toBe(1);
    expect(outsider.stderr).toContain("WACTOR_ERR_INVOCATION_REJECTED");
    const unsigned = call();
    expect(unsigned.status).toBe(1);
    expect(unsigned.stderr).toContain("--cluster-seed");
  });

  it("two hosts running the actor share the load", async () => {
    second = await up(manifest("compute2.yaml", ["labels: { role: compute }", "actors:", `  - ${kvcounter.signedPath}`]), [
      "--metrics-port",
      String(metricsPorts[1]),
    ]);
    await eventually(async () => expect((await client.getHosts()).filter((h) => h.actorKeys.includes(kvcounter.publicKey))).toHaveLength(2));
    const before = await Promise.all(metricsPorts.map(invocationsOn));
    const statuses = await Promise.all(Array.from({ length: 60 }, () => fetch(`http://127.0.0.1:${httpPort}/balanced`).then((r) => r.status)));
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    const after = await Promise.all(metricsPorts.map(invocationsOn));
    expect(after[0]! - before[0]!).toBeGreaterThan(0);
    expect(after[1]! - before[1]!).toBeGreaterThan(0);
    expect(after[0]! - before[0]! + (after[1]! - before[1]!)).toBe(60);
    expect(await redisClient.get("procs::balanced")).toBe("60");
    expect(hostIdOf(second)).not.toBe(hostIdOf(compute));
  });

  it("NATS restarted under light load: hosts reconnect and service resumes within 5 s", async () => {
    let running = true;
    const outcomes: Array<{ at: number; ok: boolean }> = [];
    const load = (async () => {
      for (let i = 0; running && i < 600; i++) {
        const ok = await fetch(`http://127.0.0.1:${httpPort}/restart`, { signal: AbortSignal.timeout(3000) }).then(
          (r) => r.status === 200,
          () => false,
        );
        outcomes.push({ at: Date.now(), ok });
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await eventually(() => expect(outcomes.filter((o) => o.ok).length).toBeGreaterThan(3));
    await nats.restart();
    const back = Date.now();
    await eventually(() => expect(outcomes.some((o) => o.ok && o.at > back)).toBe(true), { timeoutMs: 5000 });
    running = false;
    await load;
    expect(outcomes.filter((o) => o.at > back && o.ok).length).toBeGreaterThan(0);
  });

  it("a compute host SIGKILLed under load: nothing acknowledged is lost, the other host serves on", async () => {
    await eventually(async () => expect((await client.getHosts()).filter((h) => h.actorKeys.includes(kvcounter.publicKey))).toHaveLength(2));
    await redisClient.del("procs::killed");
    const acked: number[] = [];
    const failures: Array<{ sentAt: number; doneAt: number }> = [];
    let killedAt = Infinity;
    let running = true;
    const worker = async () => {
      for (let i = 0; running && i < 1000; i++) {
        const sentAt = Date.now();
        const res = await fetch(`http://127.0.0.1:${httpPort}/killed`, { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
        if (res?.status === 200) acked.push(((await res.json()) as { counter: number }).counter);
        else {
          await res?.arrayBuffer();
          failures.push({ sentAt, doneAt: Date.now() });
        }
      }
    };
    const workers = Array.from({ length: 4 }, worker);
    try {
      await eventually(() => expect(acked.length).toBeGreaterThan(50));
      killedAt = Date.now();
      second.child.kill("SIGKILL");
      await second.exited;
      const ackedAtKill = acked.length;
      await eventually(() => expect(acked.length).toBeGreaterThan(ackedAtKill + 100));
    } finally {
      running = false;
      await Promise.all(workers);
    }
    const final = Number(await redisClient.get("procs::killed"));
    // Every acknowledged increment is in Redis, each once; at most the calls in flight on the
    // killed host failed (each with an answer, none hung), and none before the kill.
    expect(new Set(acked).size).toBe(acked.length);
    expect(Math.max(...acked)).toBeLessThanOrEqual(final);
    expect(final).toBeGreaterThanOrEqual(acked.length);
    expect(failures.filter((f) => f.doneAt < killedAt)).toEqual([]);
    expect(failures.length).toBeLessThanOrEqual(8);
  });

  it("a host killed with SIGKILL drops out of get hosts within three heartbeats, and watchers hear host_gone", async () => {
    const gone: string[] = [];
    const stopWatch = client.watch((e) => e.type === "host_gone" && gone.push(e.hostId), { sweepMs: 100 });
    try {
      const victim = hostIdOf(data);
      await eventually(async () => expect((await client.getHosts(600)).map((h) => h.id)).toContain(victim));
      data.child.kill("SIGKILL");
      await data.exited;
      await eventually(async () => expect((await client.getHosts(600)).map((h) => h.id)).not.toContain(victim), { timeoutMs: HEARTBEAT_MS * 3 + 1500 });
      await eventually(() => expect(gone).toContain(victim), { timeoutMs: HEARTBEAT_MS * 3 + 2000 });
      // The key-value provider went with it: calls fail at once and say so, they do not hang.
      const res = await fetch(`http://127.0.0.1:${httpPort}/after-kill`, { signal: AbortSignal.timeout(5000) });
      expect(res.status).toBe(500);
      expect(await res.text()).toContain("serves wascc:keyvalue binding 'default'");
    } finally {
      stopWatch();
    }
  });
});
