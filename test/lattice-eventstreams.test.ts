/**
 * Event streams across a lattice (real nats-server with JetStream, real redis-server): the
 * eventwriter actor on host A writes events, the eventreader actor on host B receives each
 * exactly once (it counts every delivery in Redis), also when B is shut down meanwhile and
 * comes back. Both hosts run the eventstreams provider: they share the reader's consumer group,
 * so A holds the events B could not take and hands them over once the reader runs again.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventStreamsProvider, groupName } from "../capabilities/eventstreams/mod.js";
import { KeyValueProvider } from "../capabilities/keyvalue/mod.js";
import { KeyPair } from "../src/claims/nkeys.js";
import { decodeFirst, encode } from "../src/codec/mod.js";
import { ControlClient } from "../src/lattice/mod.js";
import { actor } from "./helpers/actors.js";
import { eventually } from "./helpers/eventually.js";
import { joinMember, leaveMember, type Member } from "./helpers/lattice-member.js";
import { startNats, startRedis, type ServerHandle } from "./helpers/servers.js";

describe("lattice: events from one actor to another on a second host, exactly once", () => {
  const cluster = KeyPair.create("cluster");
  const writer = actor("eventwriter");
  const reader = actor("eventreader");
  let nats: ServerHandle;
  let redis: ServerHandle;
  let redisClient: Redis;
  let client: ControlClient;
  let a: Member; // the writer, an eventstreams provider
  let b: Member | undefined; // the reader, an eventstreams provider and key-value

  const streams = (consumer: string): EventStreamsProvider => new EventStreamsProvider({ consumer, retryMs: 200, blockMs: 500 });
  const joinB = (): Promise<Member> => joinMember(nats.url, { cluster, labels: { role: "reader" }, providers: [streams("host-b"), new KeyValueProvider()] });
  const startReader = async (m: Member): Promise<void> => {
    await client.startActor({ path: reader.signedPath }, { hostId: m.lattice.hostId, instances: 1 });
    await eventually(() => expect(m.host.bindings.has(reader.publicKey, "wascc:keyvalue", "default")).toBe(true), { timeoutMs: 30_000 });
  };
  const write = async (n: number): Promise<string> => {
    const reply = decodeFirst(await a.host.invoke(writer.publicKey, "Write", encode({ stream: "orders", n: String(n) }))) as { eventId: string };
    return reply.eventId;
  };
  /** How often the reader counted each event: n -> count. */
  const seen = async (count: number): Promise<Record<string, string | null>> => {
    const keys = Array.from({ length: count }, (_, n) => `reader:seen:${n}`);
    const values = await redisClient.mget(...keys);
    return Object.fromEntries(values.map((v, n) => [String(n), v]));
  };
  const once = (count: number): Record<string, string> => Object.fromEntries(Array.from({ length: count }, (_, n) => [String(n), "1"]));

  beforeAll(async () => {
    [nats, redis] = await Promise.all([startNats({ jetstream: true }), startRedis()]);
    redisClient = new Redis(redis.url);
    client = await ControlClient.connect({ url: nats.url, timeoutMs: 60_000 });
    a = await joinMember(nats.url, { cluster, labels: { role: "writer" }, providers: [streams("host-a")] });
    b = await joinB();
    await client.startActor({ path: writer.signedPath }, { hostId: a.lattice.hostId, instances: 1 });
    expect((await client.putLink({ actor: writer.publicKey, capabilityId: "wascc:eventstreams", values: { URL: redis.url } })).stored).toBe(true);
    expect((await client.putLink({ actor: reader.publicKey, capabilityId: "wascc:eventstreams", values: { URL: redis.url, STREAMS: "orders" } })).stored).toBe(
      true,
    );
    expect((await client.putLink({ actor: reader.publicKey, capabilityId: "wascc:keyvalue", values: { URL: redis.url, KEY_PREFIX: "reader:" } })).stored).toBe(
      true,
    );
    await startReader(b);
    await eventually(
      () => {
        for (const m of [a, b!]) expect(m.host.bindings.has(reader.publicKey, "wascc:eventstreams", "default")).toBe(true);
        expect(a.host.bindings.has(writer.publicKey, "wascc:eventstreams", "default")).toBe(true);
      },
      { timeoutMs: 30_000 },
    );
  }, 180_000);

  afterAll(async () => {
    for (const m of [a, b]) await leaveMember(m);
    await client?.close();
    redisClient?.disconnect();
    await Promise.all([nats?.stop(), redis?.stop()]);
  });

  it("delivers every event the writer wrote to the reader on the other host once", async () => {
    const ids: string[] = [];
    for (let n = 0; n < 20; n++) ids.push(await write(n));
    expect(new Set(ids).size).toBe(20);
    expect((await redisClient.xrange("orders", "-", "+")).map(([id]) => id)).toEqual(ids);
    await eventually(async () => expect(await redisClient.get("reader:delivered")).toBe("20"), { timeoutMs: 30_000 });
    expect(await seen(20)).toEqual(once(20));
    await eventually(async () => expect(((await redisClient.xpending("orders", groupName(reader.publicKey, "default"))) as [number])[0]).toBe(0));
    // QueryStream through the SDK: the first five, oldest first.
    const queried = decodeFirst(await a.host.invoke(writer.publicKey, "Query", encode({ stream: "orders", count: "5" }))) as {
      events: Array<{ eventId: string; values: { n: string } }>;
    };
    expect(queried.events.map((e) => [e.eventId, e.values.n])).toEqual(ids.slice(0, 5).map((id, n) => [id, String(n)]));
  }, 60_000);

  it("events written while the reader's host is down arrive once after it restarts; nothing delivered before comes again", async () => {
    await leaveMember(b);
    b = undefined;
    for (let n = 20; n < 30; n++) await write(n);
    // The reader runs nowhere: the events wait in the stream (or pending with host A), unacknowledged.
    await new Promise((r) => setTimeout(r, 500));
    expect(await redisClient.get("reader:delivered")).toBe("20");
    b = await joinB();
    await startReader(b);
    await eventually(async () => expect(await redisClient.get("reader:delivered")).toBe("30"), { timeoutMs: 60_000 });
    await eventually(async () => expect(((await redisClient.xpending("orders", groupName(reader.publicKey, "default"))) as [number])[0]).toBe(0));
    await new Promise((r) => setTimeout(r, 1000)); // more read and retry rounds on both hosts: still once
    expect(await redisClient.get("reader:delivered")).toBe("30");
    expect(await seen(30)).toEqual(once(30));
  }, 120_000);
});
