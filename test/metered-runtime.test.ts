/**
 * Runtime v2: instances as instrumented Wasm objects on the host thread, host calls that
 * suspend, preemption by metering (docs/runtime.md). Hostile guests fail only themselves.
 */
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { moduleHash } from "../src/claims/hash.js";
import { KeyPair } from "../src/claims/nkeys.js";
import { signModule } from "../src/claims/sign.js";
import { Host } from "../src/host/host.js";
import { jspi, suspensionMode } from "../src/runtime/suspension.js";
import { instrumentedModule } from "../src/runtime/transform/transform-cache.js";
import { actor } from "./helpers/actors.js";
import { codeOf } from "./helpers/code-of.js";
import { eventually } from "./helpers/eventually.js";
import { failsAlone } from "./helpers/fails-alone.js";
import { rawGuestBytes, signedRawGuest, testAccount } from "./helpers/raw-guest.js";
import { GatedProvider, liveUpdateWhileSuspended } from "./helpers/gated-provider.js";
import { dlmallocStyleGuest, unmeterableGuest } from "./helpers/wat-guests.js";

const enc = (text: string) => new TextEncoder().encode(text);
const dec = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe("hostile guests on the shared host thread fail only their own invocation", () => {
  const host = new Host({ logger: pino({ level: "silent" }), actorDefaults: { deadlineMs: 400, maxMemoryBytes: 16 * 1024 * 1024 } });
  const logging = new GatedProvider("wascc:logging");
  let echo = "";
  let raw = "";

  beforeAll(async () => {
    await host.addProvider(logging);
    echo = (await host.startActor(actor("echo").signedPath)).key;
    for (const name of ["looper", "hog"]) await host.startActor(actor(name).signedPath);
    // The flood's 50,000 calls run in the background, beside a neighbour that keeps the
    // foreground busy: it needs more than the others' deadline.
    await host.startActor(actor("panicker").signedPath, { deadlineMs: 10_000 });
    const guest = await signedRawGuest({ caps: ["wascc:logging"], name: "raw-hostile" });
    raw = (await host.startActor(guest.bytes)).key;
    await host.bind(raw, "wascc:logging", "default", {});
  });
  afterAll(() => host.shutdown());

  /** Echo invocations answered while `attack` was still running, and how the attack ended. */
  async function serveDuring(attack: Promise<unknown>): Promise<{ servedBefore: number; code: string }> {
    let settled = false;
    const code = codeOf(attack).finally(() => (settled = true));
    let servedBefore = 0;
    while (!settled) {
      const reply = await host.invoke(echo, "HealthRequest", new Uint8Array());
      expect(reply).toHaveLength(0);
      if (!settled) servedBefore++;
      await new Promise((resolve) => setImmediate(resolve));
    }
    return { servedBefore, code: await code };
  }

  it.each([
    ["an infinite loop", () => actor("looper").publicKey, "Loop", "", "WACTOR_ERR_DEADLINE"],
    ["a loop of host calls", () => raw, "CallLoop", "default|wascc:logging|WriteLog|x", "WACTOR_ERR_DEADLINE"],
    ["a host-call flood (50,000 denied calls)", () => actor("panicker").publicKey, "Flood", "", "resolved"],
  ])("%s: the neighbour keeps serving while it runs", async (_what, key, operation, payload, expected) => {
    const { servedBefore, code } = await serveDuring(host.invoke(key(), operation, enc(payload)));
    expect(code).toBe(expected);
    expect(servedBefore).toBeGreaterThan(0);
  });

  it.each([
    ["unbounded recursion", () => actor("panicker").publicKey, "Recurse", "WACTOR_ERR_TRAP"],
    ["a memory bomb", () => actor("hog").publicKey, "Hog", "WACTOR_ERR_MEMORY_LIMIT"],
    // 32 MiB past a 16 MiB ceiling: the allocator's memory.grow fails and it traps at once.
    ["a huge reply (32 MiB)", () => actor("panicker").publicKey, "Huge", "WACTOR_ERR_TRAP"],
    ["a trap", () => actor("panicker").publicKey, "Panic", "WACTOR_ERR_TRAP"],
  ])(
    "%s fails with its code and nothing else",
    failsAlone(host, () => echo),
  );

  it("a trap storm: 50 traps at once fail alone, the neighbour's answers are all right", async () => {
    const traps = Array.from({ length: 50 }, () => codeOf(host.invoke(actor("panicker").publicKey, "Abort", new Uint8Array())));
    const echoes = Array.from({ length: 50 }, () => host.invoke(echo, "HealthRequest", new Uint8Array()));
    const codes = await Promise.all(traps);
    expect(codes).toContain("WACTOR_ERR_TRAP");
    // Past ten failures in a row the breaker may refuse the rest at once: either way, each fails.
    for (const code of codes) expect(["WACTOR_ERR_TRAP", "WACTOR_ERR_ACTOR_BACKOFF"]).toContain(code);
    for (const reply of await Promise.all(echoes)) expect(reply).toHaveLength(0);
  });

  it("a guest suspended on a provider that never answers hits its deadline; its actor serves on", async () => {
    const replaced: string[] = [];
    host.events.on("instance_replaced", (e) => replaced.push(e.reason));
    expect(await codeOf(host.invoke(raw, "HostCall", enc("default|wascc:logging|Hang|x")))).toBe("WACTOR_ERR_DEADLINE");
    expect(replaced).toContain("deadline");
    expect(dec(await host.invoke(raw, "HostCall", enc("default|wascc:logging|WriteLog|back")))).toBe("wascc:logging:WriteLog:back");
  });
});

describe("suspension", () => {
  const host = new Host({ logger: pino({ level: "silent" }), drainMs: 20_000 });
  const logging = new GatedProvider("wascc:logging");
  beforeAll(() => host.addProvider(logging));
  afterAll(() => host.shutdown());

  it("an instance is suspended per waiting host call: 40 calls wait at once on 40 instances", async () => {
    const { bytes, key } = await signedRawGuest({ caps: ["wascc:logging"], name: "many" });
    await host.startActor(bytes);
    await host.bind(key, "wascc:logging", "default", {});
    const calls = Array.from({ length: 40 }, (_, i) => host.invoke(key, "HostCall", enc(`default|wascc:logging|Gate|${i}`)));
    await eventually(() => expect(logging.waiting).toBe(40));
    // 40 busy and one spare made ahead of need (metered-pool.ts): never a thread per instance.
    await eventually(() => expect(host.actorInfo(key)).toMatchObject({ isolation: "metered", liveInstances: 41, inFlight: 40 }));
    logging.open();
    expect((await Promise.all(calls)).map(dec)).toEqual(Array.from({ length: 40 }, (_, i) => `wascc:logging:Gate:${i}`));
  });

  it("one instance is made ahead of need, never past 'instances'; the invocation that scales up finds it ready", async () => {
    const { bytes, key } = await signedRawGuest({ caps: ["wascc:logging"], name: "spare" });
    await host.startActor(bytes, { instances: 2 });
    await host.bind(key, "wascc:logging", "default", {});
    expect(host.actorInfo(key)).toMatchObject({ liveInstances: 1 });
    const first = host.invoke(key, "HostCall", enc("default|wascc:logging|Gate|a"));
    await eventually(() => expect(host.actorInfo(key)).toMatchObject({ liveInstances: 2, inFlight: 1 }));
    const second = host.invoke(key, "HostCall", enc("default|wascc:logging|Gate|b"));
    const third = host.invoke(key, "HostCall", enc("default|wascc:logging|Gate|c"));
    await eventually(() => expect(logging.waiting).toBe(2));
    expect(host.actorInfo(key)).toMatchObject({ liveInstances: 2, inFlight: 2 }); // the third waits for one of them
    logging.open();
    await eventually(() => expect(logging.waiting).toBe(1));
    logging.open();
    expect((await Promise.all([first, second, third])).map(dec)).toEqual(["a", "b", "c"].map((x) => `wascc:logging:Gate:${x}`));

    const single = await signedRawGuest({ caps: [], name: "single" });
    await host.startActor(single.bytes, { instances: 1 });
    expect(dec(await host.invoke(single.key, "Echo", enc("x")))).toBe("x");
    await new Promise((resolve) => setImmediate(resolve));
    expect(host.actorInfo(single.key)).toMatchObject({ liveInstances: 1 });
  });

  it("a live update while instances are suspended loses nothing", async () => {
    await liveUpdateWhileSuspended(host, logging, "updated");
  });

  it("the suspend region is never handed out: AssemblyScript's allocator grows memory between two suspensions", async () => {
    const { bytes, key } = await signedRawGuest({ caps: ["wascc:logging"], name: "allocating" });
    await host.startActor(bytes);
    await host.bind(key, "wascc:logging", "default", {});
    const replies = await Promise.all(Array.from({ length: 3 }, (_, i) => host.invoke(key, "SuspendAlloc", enc(`default|wascc:logging|WriteLog|as${i}`))));
    expect(replies.map(dec)).toEqual(["wascc:logging:WriteLog:as0", "wascc:logging:WriteLog:as1", "wascc:logging:WriteLog:as2"]);
  });

  it("the suspend region is never handed out: a dlmalloc-style guest (Rust) takes memory.grow chunks between suspensions", async () => {
    const signed = await signModule(dlmallocStyleGuest(), {
      issuer: testAccount,
      subject: KeyPair.create("module"),
      caps: ["wascc:logging"],
      name: "dlmalloc",
    });
    const key = (await host.startActor(signed.bytes)).key;
    await host.bind(key, "wascc:logging", "default", {});
    for (let i = 0; i < 3; i++) expect(dec(await host.invoke(key, "Run", enc(`rust${i}`)))).toBe(`wascc:logging:WriteLog:rust${i}`);
  });
});

describe("a module the instrumentation cannot handle", () => {
  // Booting a worker thread (and, under vitest, compiling its TypeScript) is slow on a busy machine.
  it("runs on a dedicated thread, and the log says so", { timeout: 90_000 }, async () => {
    const lines: string[] = [];
    const logger = pino({ level: "warn" }, { write: (line: string) => void lines.push(line) });
    const host = new Host({ logger });
    try {
      const signed = await signModule(unmeterableGuest(), { issuer: testAccount, subject: KeyPair.create("module"), name: "plain" });
      const info = await host.startActor(signed.bytes);
      expect(info.isolation).toBe("thread");
      expect(lines.join("")).toContain("cannot be metered");
      expect(lines.join("")).toContain("already exports 'asyncify_get_state'");
      expect(dec(await host.invoke(info.key, "Anything", new Uint8Array()))).toBe("plain");
    } finally {
      await host.shutdown();
    }
  });
});

describe("how guests are suspended", () => {
  it("by the engine (JSPI) where it has it, else by asyncify; WACTOR_SUSPENSION=asyncify forces the fallback", async () => {
    // Node 26 (what the package's scripts run) has JSPI on by default.
    if (Number(process.versions.node.split(".")[0]) >= 26) expect(jspi).toBeDefined();
    const expected = process.env.WACTOR_SUSPENSION === "asyncify" || !jspi ? "asyncify" : "jspi";
    expect(suspensionMode()).toBe(expected);
    const plain = rawGuestBytes();
    const { bytes } = await instrumentedModule(plain, moduleHash(plain), mkdtempSync(join(tmpdir(), "wactor-transform-")));
    const exported = WebAssembly.Module.exports(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>)).map((e) => e.name);
    const imported = WebAssembly.Module.imports(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>)).map((i) => `${i.module}.${i.name}`);
    // JSPI: no asyncify at all, one suspending import and the flag that says when to call it.
    expect(exported.includes("asyncify_get_state")).toBe(expected === "asyncify");
    expect(exported.includes("__wactor_suspend")).toBe(expected === "jspi");
    expect(imported.includes("wactor.wait")).toBe(expected === "jspi");
    expect(exported.includes("__wactor_serve")).toBe(expected === "jspi");
    console.log(`suspension: ${expected} on Node ${process.version}`);
  });
});

describe("the transform cache", () => {
  it("survives a restart, is keyed by the module's code and rebuilds a damaged entry", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wactor-transform-"));
    const plain = rawGuestBytes();
    const first = await instrumentedModule(plain, moduleHash(plain), dir);
    expect(first.cached).toBe(false);
    const files = readdirSync(join(dir, "transform"));
    expect(files).toHaveLength(1);
    // A new process finds it on disk (nothing of it is kept in memory between calls).
    const again = await instrumentedModule(plain, moduleHash(plain), dir);
    expect(again.cached).toBe(true);
    expect(again.bytes).toEqual(first.bytes);
    // A changed module is transformed anew, under its own hash.
    const other = dlmallocStyleGuest();
    expect((await instrumentedModule(other, moduleHash(other), dir)).cached).toBe(false);
    expect(readdirSync(join(dir, "transform"))).toHaveLength(2);
    // A damaged entry is not used, nor one that validates but is not this mode's output.
    writeFileSync(join(dir, "transform", files[0]!), "not wasm");
    const rebuilt = await instrumentedModule(plain, moduleHash(plain), dir);
    expect(rebuilt.cached).toBe(false);
    expect(rebuilt.bytes).toEqual(first.bytes);
    writeFileSync(join(dir, "transform", files[0]!), plain);
    const foreign = await instrumentedModule(plain, moduleHash(plain), dir);
    expect(foreign.cached).toBe(false);
    expect(foreign.bytes).toEqual(first.bytes);
  });

  it("a host fills the cache directory it is given", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wactor-transform-"));
    const host = new Host({ logger: pino({ level: "silent" }), cacheDir: dir });
    try {
      const { bytes } = await signedRawGuest({ name: "cached" });
      expect(existsSync(join(dir, "transform"))).toBe(false);
      expect((await host.startActor(bytes)).isolation).toBe("metered");
      // Keyed by code hash, kind (a runnable's transform suspends at other imports) and mode.
      const variant = suspensionMode() === "jspi" ? "wapc-jspi\\d+" : "wapc";
      expect(readdirSync(join(dir, "transform"))).toEqual([
        expect.stringMatching(new RegExp(`^${moduleHash(bytes).toLowerCase()}-${variant}-[0-9a-f]{12}\.wasm$`)),
      ]);
    } finally {
      await host.shutdown();
    }
  });
});
