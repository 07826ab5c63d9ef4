/**
 * Metered instances on an executor thread (isolation "executor", docs/runtime.md): the same
 * guarantees as on the host thread, host calls travel to the host thread's providers, and a
 * dead executor thread costs the invocations it ran, not the actor.
 */
import { availableParallelism } from "node:os";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Host } from "../src/host/host.js";
import { sharedExecutors } from "../src/runtime/executor/executors.js";
import { actor } from "./helpers/actors.js";
import { codeOf } from "./helpers/code-of.js";
import { eventually } from "./helpers/eventually.js";
import { failsAlone } from "./helpers/fails-alone.js";
import { signedRawGuest } from "./helpers/raw-guest.js";
import { GatedProvider, liveUpdateWhileSuspended } from "./helpers/gated-provider.js";

const enc = (text: string) => new TextEncoder().encode(text);
const dec = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe("actors on an executor thread", () => {
  const host = new Host({ logger: pino({ level: "silent" }), actorDefaults: { deadlineMs: 400, maxMemoryBytes: 16 * 1024 * 1024, isolation: "executor" } });
  const logging = new GatedProvider("wascc:logging");
  let echo = "";
  let raw = "";

  beforeAll(async () => {
    await host.addProvider(logging);
    echo = (await host.startActor(actor("echo").signedPath)).key;
    for (const name of ["looper", "hog", "panicker"]) await host.startActor(actor(name).signedPath);
    const guest = await signedRawGuest({ caps: ["wascc:logging"], name: "raw-executor" });
    raw = (await host.startActor(guest.bytes)).key;
    await host.bind(raw, "wascc:logging", "default", {});
  });
  afterAll(() => host.shutdown());

  it("runs there: each actor says so, live instances and memory come back from the thread, one executor thread serves them all", async () => {
    const actors = host.listActors();
    expect(actors.map((a) => a.isolation)).toEqual(Array(5).fill("executor"));
    expect(host.actorInfo(echo)).toMatchObject({ liveInstances: 1, memoryBytes: expect.any(Number) });
    expect(host.actorInfo(echo)!.memoryBytes).toBeGreaterThanOrEqual(65536);
    expect(sharedExecutors.threads).toBe(Math.min(5, Math.max(1, availableParallelism() - 1))); // at most cores - 1
  });

  it("a loop on the executor: a neighbour on the same executor keeps serving, and the host thread is never held", async () => {
    let hostTurns = 0;
    const timer = setInterval(() => hostTurns++, 5);
    const loop = codeOf(host.invoke(actor("looper").publicKey, "Loop", new Uint8Array()));
    let served = 0;
    let settled = false;
    void loop.finally(() => (settled = true));
    while (!settled) {
      expect(await host.invoke(echo, "HealthRequest", new Uint8Array())).toHaveLength(0);
      if (!settled) served++;
    }
    clearInterval(timer);
    expect(await loop).toBe("WACTOR_ERR_DEADLINE");
    expect(served).toBeGreaterThan(0);
    expect(hostTurns).toBeGreaterThan(20); // ~80 in the 400 ms deadline
  });

  it.each([
    ["a memory bomb", () => actor("hog").publicKey, "Hog", "WACTOR_ERR_MEMORY_LIMIT"],
    ["a trap", () => actor("panicker").publicKey, "Panic", "WACTOR_ERR_TRAP"],
    ["unbounded recursion", () => actor("panicker").publicKey, "Recurse", "WACTOR_ERR_TRAP"],
  ])(
    "%s fails with its code and nothing else",
    failsAlone(host, () => echo),
  );

  it("a host call reaches the host thread's provider with the caller's identity, and its reply the guest", async () => {
    const before = logging.calls.length;
    const reply = await host.invoke(raw, "HostCall", enc("default|wascc:logging|WriteLog|from the executor"));
    expect(logging.calls.length).toBe(before + 1);
    const call = logging.calls.at(-1)!;
    expect([call.actor.key, call.operation, dec(call.payload)]).toEqual([raw, "WriteLog", "from the executor"]);
    expect(dec(reply)).toBe("wascc:logging:WriteLog:from the executor");
  });

  it("a capability the actor did not claim is refused inside the executor; the provider never sees it", async () => {
    const before = logging.calls.length;
    const denied: string[] = [];
    const listener = (event: { capabilityId: string }) => void denied.push(event.capabilityId);
    host.events.on("invocation_denied", listener);
    expect(await codeOf(host.invoke(raw, "HostCall", enc("default|wascc:keyvalue|Get|k")))).toBe("WACTOR_ERR_GUEST_ERROR");
    await eventually(() => expect(denied).toContain("wascc:keyvalue"));
    host.events.off("invocation_denied", listener);
    expect(logging.calls.length).toBe(before);
  });

  it("a guest suspended on a provider that never answers hits its deadline; its actor serves on", async () => {
    expect(await codeOf(host.invoke(raw, "HostCall", enc("default|wascc:logging|Hang|x")))).toBe("WACTOR_ERR_DEADLINE");
    expect(dec(await host.invoke(raw, "Echo", enc("still here")))).toBe("still here");
  });

  it("a live update while instances on the executor are suspended loses nothing", async () => {
    await host.stopActor(await liveUpdateWhileSuspended(host, logging, "updated-on-executor"));
  });

  it("a dead executor thread fails what ran on it with WACTOR_ERR_TRAP; the next invocations start the actors on a new thread", async () => {
    const running = host.invoke(actor("looper").publicKey, "Loop", new Uint8Array());
    await new Promise((resolve) => setTimeout(resolve, 50));
    await sharedExecutors.terminateAll();
    expect(await codeOf(running)).toBe("WACTOR_ERR_TRAP");
    expect(await host.invoke(echo, "HealthRequest", new Uint8Array())).toHaveLength(0);
    expect(dec(await host.invoke(raw, "Echo", enc("again")))).toBe("again");
    expect(await codeOf(host.invoke(actor("panicker").publicKey, "Panic", new Uint8Array()))).toBe("WACTOR_ERR_TRAP");
    expect(sharedExecutors.threads).toBeGreaterThan(0);
  });
});

describe("an executor actor stopped while it starts again after a crash", () => {
  const host = new Host({ logger: pino({ level: "silent" }), actorDefaults: { isolation: "executor" } });
  afterAll(() => host.shutdown());

  it("leaves no executor thread behind, and its invocation settles", async () => {
    const echo = (await host.startActor(actor("echo").signedPath)).key;
    await sharedExecutors.terminateAll();
    const pending = codeOf(host.invoke(echo, "HealthRequest", new Uint8Array())); // starts it again on a new thread
    await host.stopActor(echo);
    expect(["resolved", "WACTOR_ERR_ACTOR_STOPPED"]).toContain(await pending);
    await eventually(() => expect(sharedExecutors.threads).toBe(0), { timeoutMs: 10_000 });
  });
});
