/**
 * Named bindings across the lattice (real nats-server with JetStream, real Redis): the
 * waSCC multibinding actor runs on one host and calls key-value under the binding names
 * `source1` and `source2`, whose links point at two different Redis key prefixes on another
 * host. Each name reaches its own store; a name without a link is refused at once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { KeyPair } from "../src/claims/nkeys.js";
import { ControlClient } from "../src/lattice/mod.js";
import { actor } from "./helpers/actors.js";
import { eventually } from "./helpers/eventually.js";
import { joinMember, leaveMember, type Member } from "./helpers/lattice-member.js";
import { freePort, startNats, startRedis, type ServerHandle } from "./helpers/servers.js";

describe("lattice: named bindings route exactly", () => {
  const cluster = KeyPair.create("cluster");
  const multibinding = actor("multibinding");
  let nats: ServerHandle;
  let redis: ServerHandle;
  let redisClient: Redis;
  let client: ControlClient;
  let edge: Member; // HTTP server
  let compute: Member; // the actor, no providers
  let data: Member; // key-value
  let httpPort: number;

  beforeAll(async () => {
    [nats, redis] = await Promise.all([startNats({ jetstream: true }), startRedis()]);
    redisClient = new Redis(redis.url);
    client = await ControlClient.connect({ url: nats.url });
    edge = await joinMember(nats.url, { cluster, labels: { role: "edge" }, capabilities: ["wascc:http_server"] });
    compute = await joinMember(nats.url, { cluster, labels: { role: "compute" } });
    data = await joinMember(nats.url, { cluster, labels: { role: "data" }, capabilities: ["wascc:keyvalue"] });
    httpPort = await freePort();
    await client.startActor({ path: multibinding.signedPath }, { hostId: compute.lattice.hostId, instances: 1 });
  });

  afterAll(async () => {
    for (const m of [edge, compute, data]) await leaveMember(m);
    await client?.close();
    redisClient?.disconnect();
    await Promise.all([nats?.stop(), redis?.stop()]);
  });

  it("with only source1 linked, the source2 call is refused and names its binding", async () => {
    const http = await client.putLink({ actor: multibinding.publicKey, capabilityId: "wascc:http_server", values: { PORT: String(httpPort) } });
    expect(http.stored).toBe(true);
    const one = await client.putLink({
      actor: multibinding.publicKey,
      capabilityId: "wascc:keyvalue",
      binding: "source1",
      values: { URL: redis.url, KEY_PREFIX: "one:" },
    });
    expect(one).toMatchObject({ stored: true, validations: [{ hostId: data.lattice.hostId, ok: true }] });
    await eventually(() => expect(compute.host.bindings.has(multibinding.publicKey, "wascc:keyvalue", "source1")).toBe(true));
    const res = await fetch(`http://127.0.0.1:${httpPort}/hits`);
    // The actor answers its own 500 with the error of its second call, which names the binding.
    expect(res.status).toBe(500);
    expect(await res.text()).toMatch(/source2/);
    expect(await redisClient.get("one::hits")).toBe("1"); // the first call went through
  });

  it("source1 and source2 each reach their own store on the other host", async () => {
    const two = await client.putLink({
      actor: multibinding.publicKey,
      capabilityId: "wascc:keyvalue",
      binding: "source2",
      values: { URL: redis.url, KEY_PREFIX: "two:" },
    });
    expect(two.stored).toBe(true);
    await eventually(() => expect(compute.host.bindings.has(multibinding.publicKey, "wascc:keyvalue", "source2")).toBe(true));
    await redisClient.del("one::hits", "two::hits");
    for (let i = 1; i <= 3; i++) {
      const res = await fetch(`http://127.0.0.1:${httpPort}/hits`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ source1: i, source2: 10 * i });
    }
    expect(await redisClient.get("one::hits")).toBe("3");
    expect(await redisClient.get("two::hits")).toBe("30");
    const links = await client.getLinks();
    expect(
      links
        .filter((l) => l.actorKey === multibinding.publicKey && l.capabilityId === "wascc:keyvalue")
        .map((l) => l.binding)
        .sort(),
    ).toEqual(["source1", "source2"]);
  });
});
