/**
 * Hostile actors under concurrent load next to a healthy one: an infinite loop, a memory
 * bomb, traps and aborts, unbounded recursion, a 32 MiB reply and a flood of denied host
 * calls. Each hostile call fails (or succeeds) with its documented outcome; the healthy actor
 * answers every one of its calls. Throughput ratios are in `npm run bench hostile`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import { Host } from "../../src/host/host.js";
import { actor } from "../helpers/actors.js";

const outcome = (p: Promise<Uint8Array>): Promise<string> =>
  p.then(
    (bytes) => `ok:${bytes.length}`,
    (err: { code?: string }) => err.code ?? "not a WactorError",
  );

describe("hardening: hostile actors beside a healthy one", () => {
  const host = new Host({ logger: pino({ level: "silent" }) });
  const keys: Record<string, string> = {};

  beforeAll(async () => {
    keys.echo = (await host.startActor(actor("echo").signedPath, { instances: 2 })).key;
    keys.looper = (await host.startActor(actor("looper").signedPath, { instances: 1, deadlineMs: 300 })).key;
    keys.hog = (await host.startActor(actor("hog").signedPath, { instances: 1, maxMemoryBytes: 32 * 1024 * 1024 })).key;
    keys.panicker = (await host.startActor(actor("panicker").signedPath, { instances: 2, maxMemoryBytes: 128 * 1024 * 1024 })).key;
  });

  afterAll(async () => {
    await host.shutdown();
  });

  it("every hostile call gets its documented outcome while every healthy call succeeds", async () => {
    const hostile = (key: string, op: string, times: number) => Array.from({ length: times }, () => outcome(host.invoke(key, op, new Uint8Array(8))));
    const attacks = {
      loop: hostile(keys.looper!, "Loop", 3),
      hog: hostile(keys.hog!, "Hog", 3),
      panic: hostile(keys.panicker!, "Panic", 3),
      abort: hostile(keys.panicker!, "Abort", 2),
      recurse: hostile(keys.panicker!, "Recurse", 2),
      huge: hostile(keys.panicker!, "Huge", 2),
      flood: hostile(keys.panicker!, "Flood", 1),
    };
    const healthy: string[] = [];
    for (let round = 0; round < 100; round++) {
      const batch = await Promise.all(Array.from({ length: 16 }, (_, i) => outcome(host.invoke(keys.echo!, "Echo", new Uint8Array([round, i])))));
      healthy.push(...batch);
    }
    const results = Object.fromEntries(await Promise.all(Object.entries(attacks).map(async ([k, v]) => [k, await Promise.all(v)] as const)));
    expect(healthy.filter((o) => o !== "ok:2")).toEqual([]);
    expect(results.loop).toEqual(["WACTOR_ERR_DEADLINE", "WACTOR_ERR_DEADLINE", "WACTOR_ERR_DEADLINE"]);
    expect(results.hog).toEqual(["WACTOR_ERR_MEMORY_LIMIT", "WACTOR_ERR_MEMORY_LIMIT", "WACTOR_ERR_MEMORY_LIMIT"]);
    // Traps of one actor share its breaker (10 hard failures in a row): 7 here stay below it.
    expect(new Set([...results.panic!, ...results.abort!, ...results.recurse!])).toEqual(new Set(["WACTOR_ERR_TRAP"]));
    expect(results.huge).toEqual([`ok:${32 << 20}`, `ok:${32 << 20}`]);
    expect(results.flood).toEqual(["ok:5"]); // "50000": every call denied, none reached a provider
    expect(host.authorizer.deniedCounts()).toEqual([{ actorKey: keys.panicker, capabilityId: "wascc:keyvalue", count: 50_000 }]);
    // The healthy actor still answers after the storm.
    expect(await outcome(host.invoke(keys.echo!, "Echo", new Uint8Array([1])))).toBe("ok:1");
  });
});
