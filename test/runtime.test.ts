/**
 * The thread runtime (isolation "thread": instances in worker threads, talking to the host
 * thread through two rings). The default, metered isolation has its own suite
 * (metered-runtime.test.ts), as do executor threads (executor-runtime.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import { KeyPair } from "../src/claims/nkeys.js";
import { Host } from "../src/host/host.js";
import type { LifecycleState } from "../src/host/lifecycle.js";
import { signedRawGuest } from "./helpers/raw-guest.js";
import { SpyProvider } from "./helpers/spy-provider.js";
import { codeOf } from "./helpers/code-of.js";

const enc = (text: string) => new TextEncoder().encode(text);
const dec = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/**
 * Sequential echo invocations until `stop()`; counts successes and failures. Each lane lets
 * the event loop turn every 64 invocations, as clients arriving over I/O do: invocations
 * awaited back to back are a chain of microtasks that never lets a timer or an I/O callback
 * (the scheduler's background turns among them) run, so a hostile guest's yielded invocation,
 * or an echo that overran its slice, would wait for the whole load to end.
 */
function echoLoad(host: Host, key: string): { stop: () => Promise<{ ok: number; failed: number; errors: string[] }> } {
  let running = true;
  const stats = { ok: 0, failed: 0, errors: [] as string[] };
  const lanes = Array.from({ length: 4 }, async () => {
    for (let i = 0; running && i < 200_000; i++) {
      if (i % 64 === 63) await new Promise((resolve) => setImmediate(resolve));
      try {
        const reply = await host.invoke(key, "Echo", enc(`m${i}`));
        if (dec(reply) === `m${i}`) stats.ok++;
        else stats.failed++;
      } catch (err) {
        stats.failed++;
        stats.errors.push(String(err));
      }
    }
  });
  return {
    stop: async () => {
      running = false;
      await Promise.all(lanes);
      return stats;
    },
  };
}

describe("actor runtime", () => {
  const host = new Host({
    logger: pino({ level: "silent" }),
    actorDefaults: { isolation: "thread", deadlineMs: 1000, instances: 2, maxMemoryBytes: 16 * 1024 * 1024 },
  });
  const spy = new SpyProvider("wascc:keyvalue");
  let echoKey: string;
  let hostileKey: string;
  /** Filling 16 MiB takes a thread instance 200-300 ms on a busy machine: its own deadline is roomier. */
  let hogKey: string;
  const states: Array<{ actorKey: string; state: LifecycleState }> = [];
  host.events.on("actor_state", (e) => states.push({ actorKey: e.actorKey, state: e.state }));

  beforeAll(async () => {
    await host.addProvider(spy);
    const echo = await signedRawGuest({ caps: ["wascc:keyvalue"], name: "echo" });
    echoKey = (await host.startActor(echo.bytes)).key;
    await host.bind(echoKey, "wascc:keyvalue", "", {});
    const hostile = await signedRawGuest({ caps: [], name: "hostile" });
    hostileKey = (await host.startActor(hostile.bytes, { deadlineMs: 300 })).key;
    hogKey = (await host.startActor((await signedRawGuest({ caps: [], name: "hog" })).bytes, { deadlineMs: 5000 })).key;
    expect([host.actorInfo(echoKey)?.isolation, host.actorInfo(hostileKey)?.isolation]).toEqual(["thread", "thread"]);
  });
  afterAll(() => host.shutdown());

  it("walks the lifecycle loading -> verifying -> starting -> running", () => {
    // The first actor started is echo; its key is known from "starting" on.
    expect(states.slice(0, 4).map((s) => s.state)).toEqual(["loading", "verifying", "starting", "running"]);
    expect(states[3]!.actorKey).toBe(echoKey);
    expect(host.actorInfo(echoKey)).toMatchObject({ state: "running", name: "echo", instances: 2 });
  });

  it("runs a guest call and a host call through an authorized binding", async () => {
    expect(dec(await host.invoke(echoKey, "Echo", enc("hello")))).toBe("hello");
    const reply = await host.invoke(echoKey, "HostCall", enc("|wascc:keyvalue|Get|k1"));
    expect(dec(reply)).toBe("wascc:keyvalue:Get:k1");
    // The empty binding name reached the provider as "default".
    expect(spy.calls.at(-1)).toMatchObject({ binding: "default", operation: "Get", actor: { key: echoKey } });
  });

  it("returns guest errors as WACTOR_ERR_GUEST_ERROR with the guest's text", async () => {
    await expect(host.invoke(echoKey, "GuestError", enc(""))).rejects.toMatchObject({
      code: "WACTOR_ERR_GUEST_ERROR",
      message: expect.stringContaining("guest says no"),
    });
  });

  it("denies a capability the actor did not claim; the provider never sees the call", async () => {
    const before = spy.calls.length;
    const denials: string[] = [];
    host.events.on("invocation_denied", (d) => denials.push(`${d.capabilityId}/${d.binding}/${d.operation}`));
    const failure = host.invoke(hostileKey, "HostCall", enc("|wascc:keyvalue|Add|x"));
    await expect(failure).rejects.toMatchObject({ code: "WACTOR_ERR_GUEST_ERROR" });
    const message = await failure.catch((e: Error) => e.message);
    expect(message).toContain("Permission denied");
    expect(message).toContain(hostileKey);
    expect(message).toContain("wascc:keyvalue");
    expect(message).toContain("Add");
    expect(spy.calls.length).toBe(before);
    expect(denials).toEqual(["wascc:keyvalue/default/Add"]);
    // Binding it is refused too: the claim is what grants the right.
    await expect(host.bind(hostileKey, "wascc:keyvalue", "default", {})).rejects.toMatchObject({ code: "WACTOR_ERR_PERMISSION_DENIED" });
    expect(host.authorizer.deniedCounts()).toContainEqual({ actorKey: hostileKey, capabilityId: "wascc:keyvalue", count: 1 });
  });

  it("denies a claimed capability under a binding name that does not exist", async () => {
    const before = spy.calls.length;
    const message = await host.invoke(echoKey, "HostCall", enc("other|wascc:keyvalue|Get|x")).catch((e: Error) => e.message);
    expect(message).toContain("no binding 'other'");
    expect(spy.calls.length).toBe(before);
  });

  it("delivers from a provider only to actors bound to it", async () => {
    expect(dec(await spy.context!.deliver(echoKey, "default", "Echo", enc("via provider")))).toBe("via provider");
    expect(await codeOf(spy.context!.deliver(hostileKey, "default", "Echo", enc("x")))).toBe("WACTOR_ERR_NOT_BOUND");
    expect(await codeOf(spy.context!.deliver(echoKey, "other", "Echo", enc("x")))).toBe("WACTOR_ERR_NOT_BOUND");
  });

  it("calls another actor on this host by module key", async () => {
    expect(dec(await host.invoke(hostileKey, "HostCall", enc(`|${echoKey}|Echo|ping`)))).toBe("ping");
    const missing = KeyPair.create("module").publicKey;
    const message = await host.invoke(hostileKey, "HostCall", enc(`|${missing}|Echo|ping`)).catch((e: Error) => e.message);
    expect(message).toContain("No actor with that module key");
  });

  it.each([
    ["Loop", "WACTOR_ERR_DEADLINE"],
    ["Trap", "WACTOR_ERR_TRAP"],
    ["Abort", "WACTOR_ERR_TRAP"],
    ["Hog", "WACTOR_ERR_MEMORY_LIMIT"],
  ])("a hostile %s fails only its own invocation while echo keeps serving", async (operation, code) => {
    const load = echoLoad(host, echoKey);
    const target = operation === "Hog" ? hogKey : hostileKey;
    const results = await Promise.all([1, 2, 3].map(() => codeOf(host.invoke(target, operation, enc("")))));
    const stats = await load.stop();
    expect(results).toEqual([code, code, code]);
    expect(stats.failed).toBe(0);
    expect(stats.ok).toBeGreaterThan(0);
    // The hostile actor itself recovers with fresh instances.
    expect(dec(await host.invoke(target, "Echo", enc("still here")))).toBe("still here");
  });

  it("includes the abort message of an AssemblyScript guest", async () => {
    const message = await host.invoke(hostileKey, "Abort", enc("")).catch((e: Error) => e.message);
    expect(message).toContain("guest gave up");
  });

  it("serves one actor's instances concurrently", async () => {
    // While one instance is stuck in a loop, the other answers: the echo settles first.
    const order: string[] = [];
    const loop = codeOf(host.invoke(hostileKey, "Loop", enc(""))).then((code) => order.push(`loop:${code}`));
    const echo = host.invoke(hostileKey, "Echo", enc("meanwhile")).then((reply) => order.push(`echo:${dec(reply)}`));
    await Promise.all([loop, echo]);
    expect(order).toEqual(["echo:meanwhile", "loop:WACTOR_ERR_DEADLINE"]);
  });

  it("refuses a second actor with the same key and a bad module, keeping the others", async () => {
    const again = await signedRawGuest({ subject: KeyPair.create("module"), name: "dup" });
    const key = (await host.startActor(again.bytes)).key;
    expect(await codeOf(host.startActor(again.bytes))).toBe("WACTOR_ERR_ACTOR_EXISTS");
    await host.stopActor(key);
    expect(await codeOf(host.startActor(new Uint8Array([0, 1, 2])))).toBe("WACTOR_ERR_NOT_WASM");
    expect(await codeOf(host.invoke(key, "Echo", enc("")))).toBe("WACTOR_ERR_ACTOR_NOT_FOUND");
    expect(dec(await host.invoke(echoKey, "Echo", enc("ok")))).toBe("ok");
  });
});

describe("live update", () => {
  it("replaces an actor under load with zero failed invocations and refuses another subject", async () => {
    const host = new Host({ logger: pino({ level: "silent" }), actorDefaults: { isolation: "thread", instances: 2 } });
    try {
      const subject = KeyPair.create("module");
      const v1 = await signedRawGuest({ subject, ver: "1" });
      const key = (await host.startActor(v1.bytes)).key;
      const load = echoLoad(host, key);
      await new Promise((r) => setTimeout(r, 100));
      const v2 = await signedRawGuest({ subject, ver: "2" });
      await host.replaceActor(key, v2.bytes);
      await new Promise((r) => setTimeout(r, 100));
      const stats = await load.stop();
      expect(stats.failed).toBe(0);
      expect(stats.ok).toBeGreaterThan(100);
      expect(host.actorInfo(key)).toMatchObject({ state: "running", claims: { ver: "2" } });
      const other = await signedRawGuest({ subject: KeyPair.create("module") });
      expect(await codeOf(host.replaceActor(key, other.bytes))).toBe("WACTOR_ERR_SUBJECT_MISMATCH");
      expect(host.actorInfo(key)?.state).toBe("running");
    } finally {
      await host.shutdown();
    }
  });
});

describe("large payloads", () => {
  it("returns a reply larger than the result ring (sent as a message instead)", async () => {
    const host = new Host({ logger: pino({ level: "silent" }), actorDefaults: { isolation: "thread", instances: 1 } });
    try {
      const { key } = await signedRawGuest({}).then(async (g) => ({ key: (await host.startActor(g.bytes)).key }));
      expect(host.actorInfo(key)?.isolation).toBe("thread"); // the rings exist only between threads
      const big = new Uint8Array(3 * 1024 * 1024).map((_, i) => i & 0xff);
      const [a, b, c] = await Promise.all([host.invoke(key, "Echo", enc("small-1")), host.invoke(key, "Echo", big), host.invoke(key, "Echo", enc("small-2"))]);
      expect(dec(a)).toBe("small-1");
      expect(b.length).toBe(big.length);
      expect(Buffer.compare(b, big)).toBe(0); // toEqual on 3 M elements takes seconds
      expect(dec(c)).toBe("small-2");
    } finally {
      await host.shutdown();
    }
  });
});
