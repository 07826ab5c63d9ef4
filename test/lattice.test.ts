/**
 * The NATS lattice with a real nats-server (JetStream) and real Redis: three hosts in one
 * lattice, the classic waSCC demo (HTTP provider on A, actor on B, Redis provider on C),
 * control interface, links validated by the provider's host, and no call that hangs.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decode, encode } from "@msgpack/msgpack";
import { connect } from "nats";
import { Redis } from "ioredis";
import { readFileSync } from "node:fs";
import { KeyPair } from "../src/claims/nkeys.js";
import { decodeToken } from "../src/claims/token.js";
import { jwtSectionContents } from "../src/claims/wasm-sections.js";
import { ArtifactStore } from "../src/lattice/state/artifact-store.js";
import { LatticeBuckets } from "../src/lattice/state/buckets.js";
import { latticeSubjects } from "../src/lattice/wire/subjects.js";
import { ControlClient, InvocationSigner, encodeInvocation, type Invocation, type LatticeEvent } from "../src/lattice/mod.js";
import { actor } from "./helpers/actors.js";
import { eventually } from "./helpers/eventually.js";
import { joinMember, leaveMember, type Member } from "./helpers/lattice-member.js";
import { freePort, startNats, startRedis, type ServerHandle } from "./helpers/servers.js";
import { tamperCode } from "./helpers/tamper.js";
import { httpOk } from "./helpers/http-reply.js";

const cluster = KeyPair.create("cluster");

const member = (natsUrl: string, labels: Record<string, string>, capabilities: string[], lattice = "default"): Promise<Member> =>
  joinMember(natsUrl, { labels, capabilities, lattice, cluster });
const leave = leaveMember;

describe("lattice: many hosts, one runtime", () => {
  let nats: ServerHandle;
  let redis: ServerHandle;
  let redisClient: Redis;
  let a: Member; // edge: HTTP server
  let b: Member; // compute: actors only
  let c: Member; // data: key-value on Redis, logging
  let client: ControlClient;
  let httpPort: number;
  const events: LatticeEvent[] = [];
  let stopWatch: () => void;
  const kvcounter = actor("kvcounter");

  beforeAll(async () => {
    [nats, redis] = await Promise.all([startNats({ jetstream: true }), startRedis()]);
    redisClient = new Redis(redis.url);
    // A generous control deadline: a first actor start on a loaded machine takes seconds.
    client = await ControlClient.connect({ url: nats.url, timeoutMs: 30_000 });
    stopWatch = client.watch((e) => events.push(e), { sweepMs: 100 });
    a = await member(nats.url, { role: "edge" }, ["wascc:http_server"]);
    b = await member(nats.url, { role: "compute" }, []);
    c = await member(nats.url, { role: "data" }, ["wascc:keyvalue", "wascc:logging"]);
    httpPort = await freePort();
  });

  afterAll(async () => {
    stopWatch?.();
    for (const m of [a, b, c]) await leave(m);
    await client?.close();
    redisClient?.disconnect();
    await Promise.all([nats?.stop(), redis?.stop()]);
  });

  // Each test brings the state it needs (idempotently), so any one runs alone with -t.
  const kvcounterOnB = async (): Promise<void> => {
    if (!b.host.actorInfo(kvcounter.publicKey)) await client.startActor({ path: kvcounter.signedPath }, { hostId: b.lattice.hostId, instances: 2 });
  };
  const kvcounterLinked = async (): Promise<void> => {
    await kvcounterOnB();
    const links = await client.getLinks();
    const linked = (capabilityId: string): boolean =>
      links.some((l) => l.actorKey === kvcounter.publicKey && l.capabilityId === capabilityId && l.binding === "default");
    if (!linked("wascc:http_server"))
      expect((await client.putLink({ actor: kvcounter.publicKey, capabilityId: "wascc:http_server", values: { PORT: String(httpPort) } })).stored).toBe(true);
    if (!linked("wascc:keyvalue"))
      expect(
        (await client.putLink({ actor: kvcounter.publicKey, capabilityId: "wascc:keyvalue", values: { URL: redis.url, KEY_PREFIX: "lattice:" } })).stored,
      ).toBe(true);
    await eventually(() => expect(b.host.bindings.has(kvcounter.publicKey, "wascc:keyvalue", "default")).toBe(true));
  };

  it("lists every host with its labels, version and uptime", async () => {
    const hosts = await client.getHosts();
    expect(hosts.map((h) => h.id).sort()).toEqual([a, b, c].map((m) => m.lattice.hostId).sort());
    const edge = hosts.find((h) => h.id === a.lattice.hostId)!;
    expect(edge.labels).toEqual({ role: "edge" });
    expect(edge.providers).toEqual(["wascc:http_server"]);
    expect(edge.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(edge.uptimeSeconds).toBeGreaterThanOrEqual(0);
  });

  it("starts an actor from a .wasm path on the host matching a label constraint", async () => {
    if (b.host.actorInfo(kvcounter.publicKey)) await client.stopActor(kvcounter.publicKey, { hostId: b.lattice.hostId });
    const started = await client.startActor({ path: kvcounter.signedPath }, { constraints: { role: "compute" }, instances: 2 });
    expect(started).toMatchObject({ hostId: b.lattice.hostId, key: kvcounter.publicKey, instances: 2 });
    expect(b.host.actorInfo(kvcounter.publicKey)?.state).toBe("running");
    const inventory = await client.getInventory(b.lattice.hostId);
    expect(inventory.actors).toEqual([expect.objectContaining({ key: kvcounter.publicKey, name: "kvcounter", instances: 2, state: "running" })]);
    const claims = await client.getClaims();
    expect(claims.find((x) => x.subject === kvcounter.publicKey)?.caps).toEqual(expect.arrayContaining(["wascc:keyvalue", "wascc:http_server"]));
  });

  it("HTTP on A, actor on B, Redis on C: links validated by the provider's host, traffic flows", async () => {
    await kvcounterOnB();
    const http = await client.putLink({ actor: "kvcounter", capabilityId: "wascc:http_server", values: { PORT: String(httpPort) } });
    expect(http).toMatchObject({ stored: true, validations: [{ hostId: a.lattice.hostId, ok: true }] });
    const kv = await client.putLink({ actor: kvcounter.publicKey, capabilityId: "wascc:keyvalue", values: { URL: redis.url, KEY_PREFIX: "lattice:" } });
    expect(kv).toMatchObject({ stored: true, validations: [{ hostId: c.lattice.hostId, ok: true }] });
    // The actor's host learns the links from JetStream KV.
    await eventually(() => expect(b.host.bindings.has(kvcounter.publicKey, "wascc:keyvalue", "default")).toBe(true));
    for (let i = 1; i <= 3; i++) {
      const res = await fetch(`http://127.0.0.1:${httpPort}/visits`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ counter: i });
    }
    expect(await redisClient.get("lattice::visits")).toBe("3");
    const links = (await client.getLinks()).filter((l) => l.actorKey === kvcounter.publicKey);
    expect(links.map((l) => l.capabilityId).sort()).toEqual(["wascc:http_server", "wascc:keyvalue"]);
  });

  it("a link the provider's host cannot make is refused with its reason and not stored", async () => {
    await kvcounterOnB();
    const blocker = await freePort();
    const server = (await import("node:net")).createServer().listen(blocker, "127.0.0.1");
    try {
      const result = await client.putLink({ actor: "kvcounter", capabilityId: "wascc:http_server", binding: "second", values: { PORT: String(blocker) } });
      expect(result.stored).toBe(false);
      expect(result.validations).toEqual([expect.objectContaining({ hostId: a.lattice.hostId, ok: false, code: "WACTOR_ERR_PORT_IN_USE" })]);
      expect((await client.getLinks()).some((l) => l.binding === "second")).toBe(false);
      expect(a.host.bindings.has(kvcounter.publicKey, "wascc:http_server", "second")).toBe(false);
    } finally {
      server.close();
    }
  });

  it("refuses a link to a capability the actor did not claim", async () => {
    await kvcounterOnB();
    await expect(client.putLink({ actor: "kvcounter", capabilityId: "wascc:messaging", values: {} })).rejects.toMatchObject({
      code: "WACTOR_ERR_PERMISSION_DENIED",
    });
  });

  it("shares the load between hosts running the same actor (queue group)", async () => {
    await kvcounterLinked();
    const before = Number((await redisClient.get("lattice::shared")) ?? 0);
    await client.startActor({ ref: "kvcounter" }, { hostId: c.lattice.hostId });
    await eventually(async () => expect((await client.getHosts()).filter((h) => h.actorKeys.includes(kvcounter.publicKey))).toHaveLength(2));
    const served = new Map<string, number>();
    for (const m of [b, c]) m.host.events.on("invocation_done", () => served.set(m.lattice.hostId, (served.get(m.lattice.hostId) ?? 0) + 1));
    // A has no instance: every request crosses the lattice, spread over B and C.
    const results = await Promise.all(Array.from({ length: 40 }, () => fetch(`http://127.0.0.1:${httpPort}/shared`).then((r) => r.status)));
    expect(results.every((s) => s === 200)).toBe(true);
    expect(Number(await redisClient.get("lattice::shared"))).toBe(before + 40);
    expect(served.get(b.lattice.hostId) ?? 0).toBeGreaterThan(0);
    expect(served.get(c.lattice.hostId) ?? 0).toBeGreaterThan(0);
    const stopped = await client.stopActor(kvcounter.publicKey, { hostId: c.lattice.hostId });
    expect(stopped).toEqual([{ hostId: c.lattice.hostId, key: kvcounter.publicKey }]);
    expect(c.host.actorInfo(kvcounter.publicKey)).toBeUndefined();
  });

  it("scales an actor through the control interface", async () => {
    await kvcounterLinked();
    const scaled = await client.scaleActor("kvcounter", 3);
    expect(scaled).toEqual([{ hostId: b.lattice.hostId, key: kvcounter.publicKey, instances: 3 }]);
    expect(b.host.actorInfo(kvcounter.publicKey)?.instances).toBe(3);
    expect((await fetch(`http://127.0.0.1:${httpPort}/after-scale`)).status).toBe(200);
  });

  it("actor to actor across hosts, and a target nobody runs fails at once, naming it", async () => {
    const pinger = actor("pinger");
    const ponger = actor("ponger");
    await client.startActor({ path: pinger.signedPath }, { hostId: b.lattice.hostId });
    await client.startActor({ path: ponger.signedPath }, { hostId: c.lattice.hostId });
    const port = await freePort();
    expect((await client.putLink({ actor: "pinger", capabilityId: "wascc:http_server", values: { PORT: String(port) } })).stored).toBe(true);
    await eventually(() => expect(b.host.bindings.has(pinger.publicKey, "wascc:http_server", "default")).toBe(true));
    const res = await fetch(`http://127.0.0.1:${port}/?target=${ponger.publicKey}`, { method: "POST", body: "hi" });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("hi");
    const nobody = KeyPair.create("module").publicKey;
    const started = Date.now();
    const missing = await fetch(`http://127.0.0.1:${port}/?target=${nobody}`);
    expect(missing.status).toBe(502);
    expect(await missing.text()).toContain(`no host in lattice 'default' runs actor ${nobody}`);
    expect(Date.now() - started).toBeLessThan(5000); // bounded, far under the 15 s lattice deadline
  });

  it("claims are enforced where the actor runs: a sneaky actor on B never reaches C's store", async () => {
    const sneaky = actor("sneaky");
    await client.startActor({ path: sneaky.signedPath }, { hostId: b.lattice.hostId });
    const port = await freePort();
    expect((await client.putLink({ actor: "sneaky", capabilityId: "wascc:http_server", values: { PORT: String(port) } })).stored).toBe(true);
    await eventually(() => expect(b.host.bindings.has(sneaky.publicKey, "wascc:http_server", "default")).toBe(true));
    const res = await fetch(`http://127.0.0.1:${port}/`);
    expect(res.status).toBe(500);
    expect(await res.text()).toContain("did not claim wascc:keyvalue");
    expect(await redisClient.keys("*sneaky*")).toEqual([]);
    await eventually(() =>
      expect(events.some((e) => e.type === "invocation_denied" && e.data.actorKey === sneaky.publicKey && e.hostId === b.lattice.hostId)).toBe(true),
    );
  });

  it("rejects forged invocations on the bus: unsigned, tampered, untrusted, replayed; counts and reports them", async () => {
    await kvcounterOnB();
    const nc = await connect({ servers: nats.url });
    try {
      const subject = b.lattice.subjects.actor(kvcounter.publicKey);
      const request = encode({ method: "GET", path: "/forged", queryString: "", header: {}, body: new Uint8Array() });
      const send = async (inv: Invocation) =>
        decode((await nc.request(subject, encodeInvocation(inv), { timeout: 5000 })).data) as { msg?: Uint8Array; error?: { code: string; detail: string } };
      const origin = { kind: "actor" as const, key: a.lattice.hostId };
      const target = { kind: "actor" as const, key: kvcounter.publicKey };
      const trusted = new InvocationSigner({ clusterKey: cluster, hostId: "NFORGER" });
      const good = await trusted.sign(origin, target, "HandleRequest", request);
      expect(httpOk((await send(good)).msg).text).toMatch(/"counter":\s*\d+/);
      const replay = await send(good);
      const unsigned = await send({ ...good, id: "fresh", encodedClaims: "" });
      const tampered = await send({ ...(await trusted.sign(origin, target, "HandleRequest", request)), msg: new Uint8Array([0x80]) });
      const outsider = await send(
        await new InvocationSigner({ clusterKey: KeyPair.create("cluster"), hostId: "NFORGER" }).sign(origin, target, "HandleRequest", request),
      );
      for (const [reply, reason] of [
        [replay, "replayed"],
        [unsigned, "unsigned"],
        [tampered, "tampered"],
        [outsider, "untrusted-issuer"],
      ] as const) {
        expect(reply.error).toMatchObject({ code: "WACTOR_ERR_INVOCATION_REJECTED", detail: expect.stringContaining(reason) });
      }
      expect(b.lattice.rejectedCounts()).toMatchObject({ replayed: 1, unsigned: 1, tampered: 1, "untrusted-issuer": 1 });
      await eventually(() => expect(events.filter((e) => e.type === "invocation_rejected" && e.hostId === b.lattice.hostId)).toHaveLength(4));
    } finally {
      await nc.close();
    }
  });

  it("a named binding routes exactly: a missing name is denied, a provider that went away is named", async () => {
    await kvcounterLinked();
    // kvcounter is linked to key-value 'default' only: a call under another name is denied on B.
    const identity = { key: kvcounter.publicKey, caps: b.host.actorInfo(kvcounter.publicKey)!.claims.caps };
    expect(() => b.host.authorizer.authorize(identity, "wascc:keyvalue", "other", "Add")).toThrow(/no binding 'other' of wascc:keyvalue/);
    // With C's provider gone, calls fail at once with the capability and binding named.
    await c.lattice.stopServing();
    const res = await fetch(`http://127.0.0.1:${httpPort}/no-store`);
    // The actor gets the error from its host call and answers 500 with it.
    expect(res.status).toBe(500);
    expect(await res.text()).toContain("serves wascc:keyvalue binding 'default'");
  });

  it("reports events: hosts, actors, links, denials, and a host gone silent after three missed heartbeats", async () => {
    // Everything it reports on happens here, on hosts of its own.
    const ghost = await member(nats.url, { role: "ghost" }, []);
    const passer = await member(nats.url, { role: "passer" }, []);
    const echo = actor("echo");
    const sneaky = actor("sneaky");
    const mine = (e: LatticeEvent): boolean => e.hostId === ghost.lattice.hostId;
    await eventually(() => expect(events.some((e) => e.type === "host_heartbeat" && mine(e))).toBe(true));
    await ghost.host.startActor(echo.signedPath);
    await ghost.host.stopActor(echo.publicKey);
    await ghost.host.startActor(sneaky.signedPath);
    const request = encode({ method: "GET", path: "/", queryString: "", header: {}, body: new Uint8Array() });
    await ghost.host.invoke(sneaky.publicKey, "HandleRequest", request); // its undeclared key-value call is denied
    await client.putLink({ actor: sneaky.publicKey, capabilityId: "wascc:http_server", values: { PORT: String(await freePort()) } });
    await leave(passer);
    const expected: Array<LatticeEvent["type"]> = ["host_started", "host_heartbeat", "actor_started", "actor_stopped", "invocation_denied"];
    await eventually(() => {
      const seen = new Set(events.filter(mine).map((e) => e.type));
      expect(expected.filter((t) => !seen.has(t))).toEqual([]);
    });
    await eventually(() => expect(events.some((e) => e.type === "link_put" && e.data.actorKey === sneaky.publicKey)).toBe(true));
    await eventually(() => expect(events.some((e) => e.type === "host_stopped" && e.hostId === passer.lattice.hostId)).toBe(true));
    // A host whose connection dies without saying goodbye is reported gone.
    await ghost.lattice.close(); // no host_stopped: just silence
    await eventually(() => expect(events.some((e) => e.type === "host_gone" && mine(e))).toBe(true), { timeoutMs: 5000 });
    await ghost.host.shutdown();
    await client.deleteLink(sneaky.publicKey, "wascc:http_server");
  });
});

describe("lattice: names and restarts", () => {
  let nats: ServerHandle;

  beforeAll(async () => {
    nats = await startNats({ jetstream: true });
  });

  afterAll(async () => {
    await nats?.stop();
  });

  it("two lattices on one NATS server never see each other", async () => {
    const red = await member(nats.url, { lattice: "red" }, [], "red");
    const blue = await member(nats.url, { lattice: "blue" }, [], "blue");
    const redClient = await ControlClient.connect({ url: nats.url, lattice: "red" });
    try {
      await red.host.startActor(actor("echo").signedPath);
      const hosts = await redClient.getHosts(800);
      expect(hosts.map((h) => h.id)).toEqual([red.lattice.hostId]);
      // An actor running in 'red' is reachable from red, not from 'blue'.
      const request = encode({ method: "GET", path: "/", queryString: "", header: {}, body: new Uint8Array() });
      httpOk(await red.lattice.invoke(actor("echo").publicKey, "HandleRequest", request));
      await expect(blue.lattice.invoke(actor("echo").publicKey, "HandleRequest", request)).rejects.toMatchObject({ code: "WACTOR_ERR_LATTICE_NO_ACTOR" });
    } finally {
      await redClient.close();
      await leave(red);
      await leave(blue);
    }
  });

  it("links live in JetStream: a host that joins later applies the stored ones", async () => {
    const client = await ControlClient.connect({ url: nats.url });
    const first = await member(nats.url, {}, ["wascc:keyvalue"]);
    try {
      await first.host.startActor(actor("kvcounter").signedPath);
      await eventually(async () => expect((await client.getClaims()).map((c) => c.name)).toContain("kvcounter"));
      expect((await client.putLink({ actor: "kvcounter", capabilityId: "wascc:keyvalue", binding: "later", values: {} })).stored).toBe(true);
      const late = await member(nats.url, {}, ["wascc:keyvalue"]);
      try {
        expect(late.host.bindings.has(actor("kvcounter").publicKey, "wascc:keyvalue", "later")).toBe(true);
        expect(late.host.provider("wascc:keyvalue")?.bindingStatus(actor("kvcounter").publicKey, "later")).toEqual({ state: "ok" });
        await client.deleteLink("kvcounter", "wascc:keyvalue", "later");
        await eventually(() => expect(late.host.bindings.has(actor("kvcounter").publicKey, "wascc:keyvalue", "later")).toBe(false));
        await expect(client.deleteLink("kvcounter", "wascc:keyvalue", "later")).rejects.toMatchObject({ code: "WACTOR_ERR_LINK_NOT_FOUND" });
      } finally {
        await leave(late);
      }
    } finally {
      await leave(first);
      await client.close();
    }
  });

  it("start_provider records the applications that want it; stop_provider releases them, closes its ports, spares the manifest's", async () => {
    const client = await ControlClient.connect({ url: nats.url });
    const m = await member(nats.url, {}, ["wascc:keyvalue"]); // key-value from the host's own manifest
    const events: LatticeEvent[] = [];
    const stopWatch = client.watch((e) => events.push(e));
    const echo = actor("echo");
    const port = await freePort();
    const id = m.lattice.hostId;
    const get = () =>
      fetch(`http://127.0.0.1:${port}/p`, { signal: AbortSignal.timeout(3000) }).then(
        (r) => r.status,
        () => "refused",
      );
    try {
      await client.flush();
      expect(await client.startProvider(id, "wascc:http_server", "shop")).toEqual({
        hostId: id,
        capabilityId: "wascc:http_server",
        running: true,
        apps: ["shop"],
      });
      expect(await client.startProvider(id, "wascc:http_server", "blog")).toMatchObject({ running: true, apps: ["blog", "shop"] });
      expect((await client.getHosts(800)).find((h) => h.id === id)?.providerApps).toEqual({ "wascc:http_server": ["blog", "shop"] });
      await m.host.startActor(echo.signedPath);
      await eventually(async () => expect((await client.getClaims()).map((c) => c.name)).toContain("echo"));
      expect((await client.putLink({ actor: "echo", capabilityId: "wascc:http_server", values: { PORT: String(port) } })).stored).toBe(true);
      expect(await get()).toBe(200);
      // One application lets go: the other still wants it, it keeps serving.
      expect(await client.stopProvider("wascc:http_server", { hostId: id, app: "shop" })).toEqual([
        { hostId: id, capabilityId: "wascc:http_server", running: true, apps: ["blog"] },
      ]);
      expect(await get()).toBe(200);
      // The last one lets go: the port closes, the event says so, the link stays stored and recorded.
      expect(await client.stopProvider("wascc:http_server", { hostId: id, app: "blog" })).toEqual([
        { hostId: id, capabilityId: "wascc:http_server", running: false, apps: [] },
      ]);
      expect(await get()).toBe("refused");
      expect(m.host.providerIds()).toEqual(["wascc:keyvalue"]);
      expect(m.host.bindings.has(echo.publicKey, "wascc:http_server", "default")).toBe(true);
      await eventually(() =>
        expect(events.some((e) => e.type === "provider_stopped" && e.hostId === id && e.data.capabilityId === "wascc:http_server")).toBe(true),
      );
      expect((await client.getInventory(id)).providers).toEqual([expect.objectContaining({ capabilityId: "wascc:keyvalue", apps: [] })]);
      // An application never stops a provider it did not start; an unknown one is refused by name.
      expect(await client.stopProvider("wascc:keyvalue", { hostId: id, app: "shop" })).toEqual([
        { hostId: id, capabilityId: "wascc:keyvalue", running: true, apps: [] },
      ]);
      await expect(client.stopProvider("wascc:http_server", { hostId: id })).rejects.toMatchObject({
        code: "WACTOR_ERR_NO_PROVIDER",
        detail: expect.stringContaining("nothing to stop"),
      });
      // Started again, it makes the stored link again.
      expect(await client.startProvider(id, "wascc:http_server")).toMatchObject({ running: true, apps: [] });
      expect(await get()).toBe(200);
      await client.deleteLink("echo", "wascc:http_server");
    } finally {
      stopWatch();
      await leave(m);
      await client.close();
    }
  });

  it("verifies actor bytes again after download: a tampered object is refused by the host", async () => {
    const client = await ControlClient.connect({ url: nats.url });
    const m = await member(nats.url, {}, []);
    try {
      const nc = await connect({ servers: nats.url });
      const echo = actor("echo");
      const signed = new Uint8Array(readFileSync(echo.signedPath));
      const hash = decodeToken(new TextDecoder().decode(jwtSectionContents(signed)[0]!)).claims.hash;
      const tampered = tamperCode(signed);
      const store = await ArtifactStore.open(new LatticeBuckets(nc.jetstream(), await nc.jetstreamManager()), latticeSubjects("default").actorsBucket);
      await store.put(hash, tampered);
      await expect(client.startActor({ ref: hash }, { hostId: m.lattice.hostId })).rejects.toMatchObject({ code: "WACTOR_ERR_HASH_MISMATCH" });
      expect(m.host.listActors()).toEqual([]);
      await nc.close();
    } finally {
      await leave(m);
      await client.close();
    }
  });

  it("asks for JetStream when the server has none", async () => {
    const plain = await startNats();
    try {
      await expect(ControlClient.connect({ url: plain.url })).rejects.toMatchObject({ code: "WACTOR_ERR_JETSTREAM_UNAVAILABLE" });
    } finally {
      await plain.stop();
    }
  });
});
