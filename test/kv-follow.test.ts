/**
 * A KV watch that outlives its consumer (src/lattice/kv-follow.ts): the consumer behind it is
 * deleted (nats.js re-creates an ordered consumer once its heartbeats stop), and the follower
 * still delivers every later change, each once and in order; a watch whose iterator ends is
 * started again by the follower from the next revision; `stop()` ends it.
 */
import { connect, type KV, type KvEntry, type NatsConnection } from "nats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { followKv } from "../src/lattice/state/kv-follow.js";
import { eventually } from "./helpers/eventually.js";
import { startNats, type ServerHandle } from "./helpers/servers.js";

const text = new TextEncoder();
const values = (entries: KvEntry[]): string[] => entries.map((e) => new TextDecoder().decode(e.value));

describe("a KV follower", () => {
  let nats: ServerHandle;
  let nc: NatsConnection;
  let kv: KV;

  beforeAll(async () => {
    nats = await startNats({ jetstream: true });
    nc = await connect({ servers: nats.url });
    kv = await nc.jetstream().views.kv("follow_test", { history: 10 });
  });

  afterAll(async () => {
    await nc?.close();
    await nats?.stop();
  });

  it("delivers the current entries before resolving, then every change, after its consumer was deleted too", { timeout: 60_000 }, async () => {
    await kv.put("a", text.encode("a1"));
    const seen: KvEntry[] = [];
    const follower = await followKv(kv, (e) => seen.push(e), { what: "test", key: "a" });
    try {
      expect(values(seen)).toEqual(["a1"]);
      await kv.put("a", text.encode("a2"));
      await eventually(() => expect(values(seen)).toEqual(["a1", "a2"]));
      const jsm = await nc.jetstreamManager();
      const consumers = await jsm.consumers.list("KV_follow_test").next();
      expect(consumers.length).toBe(1);
      for (const c of consumers) await jsm.consumers.delete("KV_follow_test", c.name);
      await kv.put("a", text.encode("a3"));
      await kv.put("a", text.encode("a4"));
      await eventually(() => expect(values(seen)).toEqual(["a1", "a2", "a3", "a4"]), { timeoutMs: 45_000, intervalMs: 200 });
      expect(seen.map((e) => e.revision)).toEqual([...seen.map((e) => e.revision)].sort((x, y) => x - y));
    } finally {
      follower.stop();
    }
  });

  it("starts a watch whose iterator ended again from the next revision, and stops for good on stop()", async () => {
    // A KV whose watches end after delivering what they have: every end is a restart.
    let watches = 0;
    const ending: KV = Object.create(kv, {
      watch: {
        value: async (opts: Parameters<KV["watch"]>[0]) => {
          watches++;
          const iterator = await kv.watch(opts);
          setTimeout(() => iterator.stop(), 300);
          return iterator;
        },
      },
    });
    await kv.put("b", text.encode("b1"));
    const seen: KvEntry[] = [];
    const follower = await followKv(ending, (e) => seen.push(e), { what: "test", key: "b" });
    await kv.put("b", text.encode("b2"));
    await eventually(() => expect(follower.restarts).toBeGreaterThanOrEqual(2));
    await kv.put("b", text.encode("b3"));
    await eventually(() => expect(values(seen)).toEqual(["b1", "b2", "b3"]));
    follower.stop();
    const after = watches;
    // A second follower of the same key is the barrier: once it has b4, the stopped one would have too.
    const barrier: KvEntry[] = [];
    const witness = await followKv(kv, (e) => barrier.push(e), { what: "witness", key: "b" });
    await kv.put("b", text.encode("b4"));
    await eventually(() => expect(values(barrier)).toContain("b4"));
    witness.stop();
    expect(values(seen)).toEqual(["b1", "b2", "b3"]);
    expect(watches).toBe(after);
  });
});
