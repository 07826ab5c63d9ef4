/**
 * wascc:eventstreams on a real redis-server: WriteEvent is XADD, QueryStream is XRANGE with
 * the time range and count, and DeliverEvent goes through the actor's consumer group: shared
 * by several hosts, acknowledged only after the actor answered, redelivered when it failed or
 * its host went away, and never redelivered once acknowledged.
 */
import { Redis } from "ioredis";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventStreamsProvider, groupName } from "../capabilities/eventstreams/mod.js";
import { decodeEvent, decodeStreamResults, decodeWriteResponse, encode, encodeEvent, encodeStreamQuery, type StreamEvent } from "../src/codec/mod.js";
import type { ActorIdentity, ProviderContext } from "../src/provider/contract.js";
import { codeOf } from "./helpers/code-of.js";
import { eventually } from "./helpers/eventually.js";
import { freePort, startRedis, type ServerHandle } from "./helpers/servers.js";

const WRITER: ActorIdentity = { key: "MWRITER", issuer: "AISSUER", caps: ["wascc:eventstreams"] };
const READER: ActorIdentity = { key: "MREADER", issuer: "AISSUER", caps: ["wascc:eventstreams"] };
const FAST = { retryMs: 100, blockMs: 200 };

interface Delivered {
  consumer: string;
  operation: string;
  event: StreamEvent;
}

/** A provider standing in for one host; `verdict` decides whether the actor's DeliverEvent succeeds. */
function host(
  consumer: string,
  log: Delivered[],
  verdict: (event: StreamEvent) => boolean = () => true,
): { provider: EventStreamsProvider; context: ProviderContext } {
  const provider = new EventStreamsProvider({ consumer, ...FAST });
  const context: ProviderContext = {
    logger: pino({ level: "silent" }),
    deliver: async (_actorKey, _binding, operation, payload) => {
      const event = decodeEvent(payload);
      log.push({ consumer, operation, event });
      if (!verdict(event)) throw new Error(`actor failed on ${event.values.n}`);
      return new Uint8Array();
    },
  };
  return { provider, context };
}

let redis: ServerHandle;
let client: Redis;
const writes: Delivered[] = [];
const { provider: writer, context: writerContext } = host("writer", writes);

const write = (stream: string, values: Record<string, string>, p = writer, actor = WRITER): Promise<string> =>
  p
    .handleCall({ actor, binding: "default", operation: "WriteEvent", payload: encodeEvent({ eventId: "", stream, values }) })
    .then((r) => decodeWriteResponse(r).eventId);
const query = (streamId: string, count: number, range?: { minTime: number; maxTime: number }) =>
  writer
    .handleCall({ actor: WRITER, binding: "default", operation: "QueryStream", payload: encodeStreamQuery({ streamId, count, range }) })
    .then(decodeStreamResults);
const numbers = (log: Delivered[]): string[] => log.filter((d) => d.operation === "DeliverEvent").map((d) => d.event.values.n!);
const pendingCount = async (stream: string, actor = READER): Promise<number> =>
  Number(((await client.xpending(stream, groupName(actor.key, "default"))) as [number])[0]);

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
  await writer.start(writerContext);
  await writer.bind(WRITER, "default", { URL: redis.url });
});
afterAll(async () => {
  await writer.stop();
  client?.disconnect();
  await redis?.stop();
});

describe("event streams binding", () => {
  it("refuses a binding without a Redis URL, with a bad one, or with a stream named twice", async () => {
    const { provider, context } = host("x", []);
    await provider.start(context);
    expect(await codeOf(provider.bind(READER, "default", {}))).toBe("WACTOR_ERR_BINDING_INVALID");
    expect(await codeOf(provider.bind(READER, "default", { URL: "http://127.0.0.1:1" }))).toBe("WACTOR_ERR_BINDING_INVALID");
    expect(await codeOf(provider.bind(READER, "default", { URL: redis.url, STREAMS: "a, a" }))).toBe("WACTOR_ERR_BINDING_INVALID");
    expect(await codeOf(provider.bind(READER, "default", { URL: `redis://127.0.0.1:${await freePort()}` }))).toBe("WACTOR_ERR_BINDING_FAILED");
    expect(provider.bindingStatus(READER.key, "default")).toBeUndefined();
    await provider.stop();
  });
});

describe("WriteEvent and QueryStream", () => {
  it("WriteEvent appends with XADD and answers Redis' event id", async () => {
    const id = await write("audit", { n: "1", who: "ann" });
    expect(id).toMatch(/^\d+-\d+$/);
    expect(await client.xrange("audit", "-", "+")).toEqual([[id, ["n", "1", "who", "ann"]]]);
    expect(await codeOf(write("audit", {}))).toBe("WACTOR_ERR_BAD_PAYLOAD");
    expect(await codeOf(write("", { n: "1" }))).toBe("WACTOR_ERR_BAD_PAYLOAD");
    const missing = await writer
      .handleCall({ actor: WRITER, binding: "default", operation: "WriteEvent", payload: encode({ values: { a: "b" } }) })
      .catch((e: Error) => e.message);
    expect(missing).toContain("'stream'");
    await client.set("plain-key", "x");
    expect(await codeOf(write("plain-key", { n: "1" }))).toBe("WACTOR_ERR_WRONG_TYPE");
  });

  it("QueryStream is XRANGE over the time range (ms, inclusive) with the count; 0 counts all", async () => {
    for (const id of ["1000-0", "2000-0", "2000-1", "3000-0", "4000-0"]) await client.xadd("timed", id, "id", id);
    const ids = (events: StreamEvent[]): string[] => events.map((e) => e.eventId);
    expect(ids(await query("timed", 0))).toEqual(["1000-0", "2000-0", "2000-1", "3000-0", "4000-0"]);
    expect(ids(await query("timed", 2))).toEqual(["1000-0", "2000-0"]);
    expect(ids(await query("timed", 0, { minTime: 2000, maxTime: 3000 }))).toEqual(["2000-0", "2000-1", "3000-0"]);
    expect(ids(await query("timed", 1, { minTime: 1500, maxTime: 9000 }))).toEqual(["2000-0"]);
    expect(await query("timed", 0, { minTime: 5000, maxTime: 6000 })).toEqual([]);
    expect((await query("timed", 1))[0]).toEqual({ eventId: "1000-0", stream: "timed", values: { id: "1000-0" } });
    expect(await query("no-such-stream", 0)).toEqual([]);
  });
});

describe("DeliverEvent through the actor's consumer group", () => {
  it("delivers the new events of the bound streams once, acknowledged, and none from before the binding", async () => {
    const log: Delivered[] = [];
    const { provider, context } = host("h1", log);
    await provider.start(context);
    await write("orders", { n: "before" });
    await provider.bind(READER, "default", { URL: redis.url, STREAMS: "orders, refunds" });
    try {
      const ids = [await write("orders", { n: "1" }), await write("refunds", { n: "2" }), await write("orders", { n: "3" })];
      await eventually(() => expect(log).toHaveLength(3));
      expect(log.map((d) => d.operation)).toEqual(["DeliverEvent", "DeliverEvent", "DeliverEvent"]);
      expect(log.map((d) => d.event.eventId).sort()).toEqual([...ids].sort());
      expect(log.find((d) => d.event.values.n === "2")?.event.stream).toBe("refunds");
      await eventually(async () => expect(await pendingCount("orders")).toBe(0));
      expect(provider.bindingStatus(READER.key, "default")).toEqual({ state: "ok" });
    } finally {
      await provider.stop();
    }
  });

  it("shares one actor's stream among the hosts serving it: every event delivered exactly once", async () => {
    const log: Delivered[] = [];
    const hosts = [host("share-a", log), host("share-b", log)];
    for (const h of hosts) {
      await h.provider.start(h.context);
      await h.provider.bind(READER, "default", { URL: redis.url, STREAMS: "shared" });
    }
    try {
      const sent = Array.from({ length: 60 }, (_, i) => String(i));
      for (const n of sent) await write("shared", { n });
      await eventually(() => expect(log.length).toBeGreaterThanOrEqual(60));
      await eventually(async () => expect(await pendingCount("shared")).toBe(0));
      expect(numbers(log).sort()).toEqual([...sent].sort());
    } finally {
      for (const h of hosts) await h.provider.stop();
    }
  });

  it("a failed DeliverEvent stays pending and is delivered again; it is acknowledged once it succeeds", async () => {
    const log: Delivered[] = [];
    let failures = 0;
    const { provider, context } = host("flaky", log, (e) => !(e.values.n === "bad" && failures++ < 2));
    await provider.start(context);
    await provider.bind(READER, "default", { URL: redis.url, STREAMS: "flaky" });
    try {
      await write("flaky", { n: "good" });
      await write("flaky", { n: "bad" });
      await eventually(() => expect(numbers(log).filter((n) => n === "bad")).toHaveLength(3));
      await eventually(async () => expect(await pendingCount("flaky")).toBe(0));
      expect(numbers(log).filter((n) => n === "good")).toHaveLength(1);
    } finally {
      await provider.stop();
    }
  });

  it("after a restart a host re-reads its own unacknowledged events; acknowledged ones never come back", async () => {
    const first: Delivered[] = [];
    let actorUp = true;
    const before = host("restart", first, () => actorUp);
    await before.provider.start(before.context);
    await before.provider.bind(READER, "default", { URL: redis.url, STREAMS: "restarts" });
    await write("restarts", { n: "1" });
    await write("restarts", { n: "2" });
    await eventually(() => expect(numbers(first)).toEqual(["1", "2"]));
    await eventually(async () => expect(await pendingCount("restarts")).toBe(0));
    actorUp = false; // the actor fails from here on: 3 and 4 are read but never acknowledged
    await write("restarts", { n: "3" });
    await write("restarts", { n: "4" });
    await eventually(() => expect(numbers(first)).toEqual(expect.arrayContaining(["3", "4"])));
    await before.provider.stop();
    expect(await pendingCount("restarts")).toBe(2);

    const second: Delivered[] = [];
    const after = host("restart", second);
    await after.provider.start(after.context);
    await after.provider.bind(READER, "default", { URL: redis.url, STREAMS: "restarts" });
    try {
      await write("restarts", { n: "5" });
      await eventually(() => expect(numbers(second).sort()).toEqual(["3", "4", "5"]));
      await eventually(async () => expect(await pendingCount("restarts")).toBe(0));
      await new Promise((r) => setTimeout(r, 300)); // a few more read rounds: still nothing again
      expect(numbers(second).sort()).toEqual(["3", "4", "5"]);
    } finally {
      await after.provider.stop();
    }
  });

  it("events a dead host left unacknowledged are claimed by another host after CLAIM_IDLE_MS", async () => {
    const dead: Delivered[] = [];
    const gone = host("gone", dead, () => false);
    await gone.provider.start(gone.context);
    await gone.provider.bind(READER, "default", { URL: redis.url, STREAMS: "orphans" });
    await write("orphans", { n: "x" });
    await eventually(() => expect(numbers(dead)).toContain("x"));
    await gone.provider.stop();

    const log: Delivered[] = [];
    const heir = host("heir", log);
    await heir.provider.start(heir.context);
    await heir.provider.bind(READER, "default", { URL: redis.url, STREAMS: "orphans", CLAIM_IDLE_MS: "300" });
    try {
      await eventually(() => expect(numbers(log)).toEqual(["x"]));
      await eventually(async () => expect(await pendingCount("orphans")).toBe(0));
    } finally {
      await heir.provider.stop();
    }
  });
});

describe("while Redis is away", () => {
  it("calls fail fast and the status says so; once Redis is back, writes and deliveries resume", async () => {
    const durable = await startRedis({ durable: true });
    const log: Delivered[] = [];
    const { provider, context } = host("outage", log);
    await provider.start(context);
    try {
      await provider.bind(WRITER, "default", { URL: durable.url });
      await provider.bind(READER, "default", { URL: durable.url, STREAMS: "outage" });
      await write("outage", { n: "before" }, provider);
      await eventually(() => expect(numbers(log)).toEqual(["before"]));
      await durable.kill();
      expect(await codeOf(write("outage", { n: "lost" }, provider))).toBe("WACTOR_ERR_PROVIDER_UNAVAILABLE");
      await eventually(() => expect(provider.bindingStatus(READER.key, "default")).toMatchObject({ state: "failed" }));
      await durable.restart();
      await eventually(() => expect(provider.bindingStatus(WRITER.key, "default")).toEqual({ state: "ok" }), { timeoutMs: 15_000 });
      await eventually(() => write("outage", { n: "after" }, provider), { timeoutMs: 15_000 });
      await eventually(() => expect(numbers(log)).toEqual(["before", "after"]), { timeoutMs: 15_000 });
    } finally {
      await provider.stop();
      await durable.stop();
    }
  }, 60_000);
});

describe("while Redis hangs", () => {
  it("a write fails within its command deadline (no answer ever comes), and writes succeed again once Redis answers", async () => {
    const hung = await startRedis();
    const provider = new EventStreamsProvider({ consumer: "hung", ...FAST, redis: { commandTimeoutMs: 200 } });
    await provider.start(host("hung", []).context);
    try {
      await provider.bind(WRITER, "default", { URL: hung.url });
      expect(await write("hung", { n: "before" }, provider)).toMatch(/^\d+-\d+$/);
      hung.pause();
      // Without the connection's deadline watchdog these writes never settle: the test times out.
      const codes = await Promise.all([1, 2, 3].map((n) => codeOf(write("hung", { n: `stuck ${n}` }, provider))));
      expect(codes).toEqual(["WACTOR_ERR_PROVIDER_UNAVAILABLE", "WACTOR_ERR_PROVIDER_UNAVAILABLE", "WACTOR_ERR_PROVIDER_UNAVAILABLE"]);
      hung.resume();
      await eventually(() => write("hung", { n: "after" }, provider));
    } finally {
      hung.resume();
      await provider.stop();
      await hung.stop();
    }
  }, 20_000);
});
