/**
 * Reactr runnables on the real host (docs/runnables.md): signed and verified like actors,
 * metered on the host thread or an executor, one job per invocation, `_start` once per
 * instance, hostile jobs failing only themselves, the outcome rules of the contract.
 */
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeHttpResponse, decodeJobReply, encodeHttpRequest, encodeJobRequest } from "../src/codec/mod.js";
import { WactorError } from "../src/errors.js";
import { Host } from "../src/host/host.js";
import { codeOf } from "./helpers/code-of.js";
import { rawGuestBytes, testAccount } from "./helpers/raw-guest.js";
import { KeyValueProvider } from "../capabilities/mod.js";
import { runningJobs } from "../src/runtime/reactr/job.js";
import { SpyProvider } from "./helpers/spy-provider.js";
import { capabilityRunnable, echoRunnable, hostileRunnable, signedRunnable, startTrapRunnable, wasiStartRunnable } from "./helpers/runnable-guests.js";
import { assemble } from "./helpers/wat-guests.js";
import { signModule } from "../src/claims/sign.js";
import { KeyPair } from "../src/claims/nkeys.js";

const enc = (text: string) => new TextEncoder().encode(text);
const dec = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe("runnables on the host thread", () => {
  const lines: string[] = [];
  const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(line) });
  const host = new Host({ logger, actorDefaults: { deadlineMs: 500, maxMemoryBytes: 16 * 1024 * 1024 } });
  let echo = "";
  let wasi = "";
  let hostile = "";
  let swift = "";
  const replaced: string[] = [];

  beforeAll(async () => {
    host.events.on("instance_replaced", (e) => replaced.push(e.reason));
    echo = (await host.startActor((await signedRunnable(echoRunnable(), { name: "echo-runnable" })).bytes)).key;
    wasi = (await host.startActor((await signedRunnable(wasiStartRunnable())).bytes, { instances: 2 })).key;
    hostile = (await host.startActor((await signedRunnable(hostileRunnable())).bytes, { deadlineMs: 300 })).key;
    swift = (await host.startActor((await signedRunnable(echoRunnable({ swift: true }))).bytes)).key;
  }, 240_000);
  afterAll(() => host.shutdown());

  it("(a) run: the echo runnable answers its input; an empty input is a job too", async () => {
    expect(dec(await host.invoke(echo, "run", enc("hello")))).toBe("hello");
    expect(await host.invoke(echo, "run", new Uint8Array())).toHaveLength(0);
    expect(host.actorInfo(echo)).toMatchObject({ name: "echo-runnable", isolation: "metered" });
  });

  it("(k) a Swift-shaped runnable (only `_swift` imports, two extra arguments) runs the same", async () => {
    expect(dec(await host.invoke(swift, "run", enc("swift")))).toBe("swift");
  });

  it("(b) `_start` runs once per instance before any job; WASI writes reach the log; deallocate follows every job", async () => {
    const first = dec(await host.invoke(wasi, "run", enc("x")));
    expect(first[0]).toBe("1"); // _start ran exactly once on this instance
    const again = dec(await host.invoke(wasi, "run", enc("x")));
    expect(again[0]).toBe("1");
    expect(Number(again[1])).toBeGreaterThan(Number(first[1]) - 1); // deallocations counted per instance
    expect(lines.some((l) => l.includes('"msg":"runnable started"'))).toBe(true);
  });

  it("(b) proc_exit during a job fails it as a trap; the next job gets a fresh instance whose `_start` ran", async () => {
    expect(await codeOf(host.invoke(wasi, "run", enc("exit")))).toBe("WACTOR_ERR_TRAP");
    expect(dec(await host.invoke(wasi, "run", enc("x")))[0]).toBe("1");
  });

  it("(c) a runnable whose `_start` traps does not start, with a clear code", async () => {
    const bad = await signedRunnable(startTrapRunnable());
    const err = await host.startActor(bad.bytes).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WactorError);
    expect(err).toMatchObject({ code: "WACTOR_ERR_MODULE_COMPILE", message: expect.stringContaining("_start") });
  });

  it("(d) a job that never calls return_result answers an empty result", async () => {
    expect(await host.invoke(hostile, "run", enc("n"))).toHaveLength(0);
  });

  it("(e) a looping job hits its deadline while the neighbours keep serving", async () => {
    const loop = codeOf(host.invoke(hostile, "run", enc("l")));
    let served = 0;
    let settled = false;
    void loop.finally(() => (settled = true));
    while (!settled) {
      expect(dec(await host.invoke(echo, "run", enc("n")))).toBe("n");
      if (!settled) served++;
      await new Promise((r) => setImmediate(r));
    }
    expect(await loop).toBe("WACTOR_ERR_DEADLINE");
    expect(served).toBeGreaterThan(0);
    expect(replaced).toContain("deadline");
  });

  it("(f) a memory bomb fails with WACTOR_ERR_MEMORY_LIMIT and nothing else", async () => {
    const neighbours = Array.from({ length: 10 }, () => host.invoke(echo, "run", enc("ok")));
    expect(await codeOf(host.invoke(hostile, "run", enc("m")))).toBe("WACTOR_ERR_MEMORY_LIMIT");
    for (const reply of await Promise.all(neighbours)) expect(dec(reply)).toBe("ok");
  });

  it("(g) a huge result (8 MiB, half the memory ceiling) arrives whole, and the neighbour is not disturbed", async () => {
    const neighbour = host.invoke(echo, "run", enc("beside"));
    const big = await host.invoke(hostile, "run", enc("h8"));
    expect(big.length).toBe(8 * 1024 * 1024);
    expect(big.every((b) => b === 120)).toBe(true);
    expect(dec(await neighbour)).toBe("beside");
  });

  it("an error reported before a trap wins (RunErr), and the instance is replaced", async () => {
    const before = replaced.length;
    const err = await host.invoke(hostile, "run", enc("e")).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "WACTOR_ERR_RUNNABLE_ERROR", detail: '{"code":400,"message":"job failed"}' });
    expect(replaced.length).toBe(before + 1);
  });

  it("return_abort is RunErr code -1 with Reactr's message, logged", async () => {
    const err = await host.invoke(hostile, "run", enc("a")).catch((e: unknown) => e);
    const message = "runnable abort: bad thing; file: index.ts, line: 12, col: 5";
    expect(err).toMatchObject({ code: "WACTOR_ERR_RUNNABLE_ERROR", detail: JSON.stringify({ code: -1, message }) });
    expect(lines.some((l) => l.includes(message))).toBe(true);
  });

  it("the first return_* wins", async () => {
    expect(dec(await host.invoke(hostile, "run", enc("r1")))).toBe("r1");
  });

  it("Job: MessagePack in, {output, headers} out; a RunErr is a reply, not a rejection", async () => {
    const request = { method: "POST", url: "/x", requestId: "id-1", body: enc("payload"), headers: {}, params: {}, state: {} };
    expect(decodeJobReply(await host.invoke(echo, "Job", encodeJobRequest(request)))).toEqual({ output: enc("payload"), headers: {} });
    expect(decodeJobReply(await host.invoke(hostile, "Job", encodeJobRequest({ ...request, body: enc("r") })))).toEqual({ output: enc("r"), headers: {} });
    const failed = decodeJobReply(await host.invoke(hostile, "Job", encodeJobRequest({ ...request, body: enc("e") })));
    expect(failed).toEqual({ error: { code: 400, message: "job failed" } });
  });

  it("HandleRequest: the body is the input, the result the response body; a RunErr's code is the status", async () => {
    const request = (body: string) => encodeHttpRequest({ method: "POST", path: "/p", queryString: "", header: {}, body: enc(body) });
    const ok = decodeHttpResponse(await host.invoke(echo, "HandleRequest", request("hi")));
    expect(ok).toMatchObject({ statusCode: 200, body: enc("hi") });
    const failed = decodeHttpResponse(await host.invoke(hostile, "HandleRequest", request("e")));
    expect(failed.statusCode).toBe(400);
    expect(failed.header["Content-Type"]).toBe("application/json");
    expect(JSON.parse(dec(failed.body))).toEqual({ status: 400, message: "job failed" });
    const aborted = decodeHttpResponse(await host.invoke(hostile, "HandleRequest", request("a")));
    expect(aborted.statusCode).toBe(500); // code -1 is outside 200-599
  });

  it("an operation a runnable does not serve is a guest error; a malformed payload a payload error", async () => {
    expect(await codeOf(host.invoke(echo, "Nope", enc("x")))).toBe("WACTOR_ERR_GUEST_ERROR");
    expect(await codeOf(host.invoke(echo, "Job", enc("not msgpack")))).toBe("WACTOR_ERR_BAD_PAYLOAD");
    expect(await host.invoke(echo, "HealthRequest", new Uint8Array())).toHaveLength(0);
  });

  it("live update and scaling keep the runnable serving", async () => {
    const subject = KeyPair.create("module");
    const v1 = await signedRunnable(echoRunnable(), { subject });
    const key = (await host.startActor(v1.bytes)).key;
    const v2 = await signedRunnable(hostileRunnable(), { subject });
    await host.replaceActor(key, v2.bytes);
    expect(await host.invoke(key, "run", enc("n"))).toHaveLength(0); // v2's behaviour
    await host.scaleActor(key, 3);
    expect(host.actorInfo(key)?.instances).toBe(3);
    expect(dec(await host.invoke(key, "run", enc("r2")))).toBe("r2");
    await host.stopActor(key);
  });

  it("a job suspended on a provider that never answers hits its deadline; its ident is freed; the runnable serves on", async () => {
    await host.addProvider(new SpyProvider("wascc:keyvalue", () => new Promise<Uint8Array>(() => undefined)));
    const { bytes } = await signedRunnable(capabilityRunnable(), { caps: ["wascc:keyvalue"] });
    const key = (await host.startActor(bytes, { deadlineMs: 200 })).key;
    await host.bind(key, "wascc:keyvalue", "default", {});
    const before = runningJobs();
    expect(await codeOf(host.invoke(key, "run", enc("gk")))).toBe("WACTOR_ERR_DEADLINE");
    expect(runningJobs()).toBe(before);
    expect(dec(await host.invoke(key, "run", enc("eserves")))).toBe("eserves");
  });

  it("an unsigned runnable is refused with the same code as an unsigned actor", async () => {
    expect(await codeOf(host.startActor(echoRunnable()))).toBe("WACTOR_ERR_NO_CLAIMS");
  });

  it("a module of neither shape names both", async () => {
    const neither = await signModule(assemble(`(module (memory (export "memory") 1) (func (export "run_e") (param i32 i32 i32)))`), {
      issuer: testAccount,
      subject: KeyPair.create("module"),
      name: "neither",
    });
    const err = await host.startActor(neither.bytes).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: "WACTOR_ERR_UNSUPPORTED_MODULE",
      detail: expect.stringMatching(/waPC actor .*__guest_call.*Reactr runnable .*allocate, deallocate/),
    });
  });

  it("a runnable asked to run on threads is refused, saying why", async () => {
    const runnable = await signedRunnable(echoRunnable());
    const err = await host.startActor(runnable.bytes, { isolation: "thread" }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "WACTOR_ERR_UNSUPPORTED_MODULE", detail: expect.stringContaining("'thread' is not offered to runnables") });
  });

  it("a runnable the transform cannot handle does not start, and does not fall back to threads", async () => {
    // TinyGo's asyncify scheduler exports these names already: asyncify cannot run twice.
    const module = assemble(`(module (memory (export "memory") 1)
 (func (export "allocate") (param i32) (result i32) (i32.const 1024))
 (func (export "deallocate") (param i32 i32))
 (func (export "run_e") (param i32 i32 i32))
 (func (export "asyncify_get_state") (result i32) (i32.const 0)))`);
    const err = await host.startActor((await signedRunnable(module)).bytes).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "WACTOR_ERR_UNSUPPORTED_MODULE", detail: expect.stringContaining("runnables are not offered the 'thread' isolation") });
  }, 240_000); // the transform worker may start here (Binaryen loads for seconds on a loaded machine)

  it("a waPC actor still runs beside runnables (the kinds are told apart)", async () => {
    const actor = await signModule(rawGuestBytes(), { issuer: testAccount, subject: KeyPair.create("module"), name: "raw" });
    const key = (await host.startActor(actor.bytes)).key;
    expect(dec(await host.invoke(key, "Echo", enc("wapc")))).toBe("wapc");
  });
});

describe("runnables on an executor thread", () => {
  const host = new Host({ logger: pino({ level: "silent" }), actorDefaults: { isolation: "executor", deadlineMs: 400, maxMemoryBytes: 16 * 1024 * 1024 } });
  afterAll(() => host.shutdown());

  it("serve jobs, keep `_start`'s once-per-instance rule, and fail hostile jobs alone", async () => {
    const echo = (await host.startActor((await signedRunnable(echoRunnable())).bytes)).key;
    const wasi = (await host.startActor((await signedRunnable(wasiStartRunnable())).bytes)).key;
    const hostile = (await host.startActor((await signedRunnable(hostileRunnable())).bytes)).key;
    expect(host.actorInfo(echo)?.isolation).toBe("executor");
    expect(dec(await host.invoke(echo, "run", enc("far")))).toBe("far");
    expect(dec(await host.invoke(wasi, "run", enc("x")))[0]).toBe("1");
    expect(await codeOf(host.invoke(hostile, "run", enc("l")))).toBe("WACTOR_ERR_DEADLINE");
    const err = await host.invoke(hostile, "run", enc("e")).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "WACTOR_ERR_RUNNABLE_ERROR", detail: '{"code":400,"message":"job failed"}' });
    expect(dec(await host.invoke(echo, "run", enc("still")))).toBe("still");
  });

  it("take a Job whose payload is a view of the codec's shared slab, and answer with bytes of their own", async () => {
    const echo = (await host.startActor((await signedRunnable(echoRunnable())).bytes)).key;
    const payload = encodeJobRequest({ method: "POST", url: "/x", requestId: "id-2", body: enc("over the thread"), headers: {}, params: {}, state: {} });
    expect(payload.buffer.byteLength).toBeGreaterThan(payload.byteLength); // a view, not a buffer of its own
    const reply = await host.invoke(echo, "Job", payload);
    // Only the reply's bytes crossed back (a posted view would have brought its whole slab).
    expect(reply.buffer.byteLength).toBe(reply.byteLength);
    expect(decodeJobReply(reply)).toEqual({ output: enc("over the thread"), headers: {} });
  });

  it("suspend on host calls that travel to the host thread's providers, under the same claims", async () => {
    await host.addProvider(new KeyValueProvider());
    const cache = (await host.startActor((await signedRunnable(capabilityRunnable(), { caps: ["wascc:keyvalue"] })).bytes)).key;
    await host.bind(cache, "wascc:keyvalue", "default", {});
    expect(dec(await host.invoke(cache, "run", enc("sfar away")))).toBe("0");
    expect(dec(await host.invoke(cache, "run", enc("gk")))).toBe("far away");
    const denied = await host.invoke(cache, "run", enc("lnot claimed")).then(dec);
    expect(denied).toBe("logged"); // log_msg without the claim: dropped, the job goes on
    expect(host.authorizer.deniedCounts().find((c) => c.actorKey === cache)?.capabilityId).toBe("wascc:logging");
  });
});
