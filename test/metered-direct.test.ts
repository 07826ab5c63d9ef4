/**
 * Direct calls (docs/runtime.md, "Direct calls"): with JSPI an invocation is first tried as a
 * plain call on the caller's stack. Where the guest would suspend (a host call, the end of its
 * slice) the try is thrown away before the host call happens, its instance dropped, and the
 * invocation starts again on the serve loop, as do the actor's later ones after a host call
 * or three overruns, until a thousand in a row finish on the serve loop without suspending. What must hold:
 * every answer is the serve loop's answer, a host call is made once, preemption still works.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { moduleHash } from "../src/claims/hash.js";
import { MeteredPool } from "../src/runtime/metered/metered-pool.js";
import { Scheduler } from "../src/runtime/metered/scheduler.js";
import { suspensionMode } from "../src/runtime/suspension.js";
import { instrumentedModule } from "../src/runtime/transform/transform-cache.js";
import type { HostCallRequest } from "../src/runtime/worker-protocol.js";
import { rawGuestBytes } from "./helpers/raw-guest.js";
import { assemble } from "./helpers/wat-guests.js";

const enc = (text: string) => new TextEncoder().encode(text);
const dec = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const cacheDir = mkdtempSync(join(tmpdir(), "wactor-direct-"));

/**
 * With a payload, sums 0..n-1 for n = 30,000,000 (many slices of work) and answers the low 32
 * bits, little-endian; without one, answers 0 at once.
 */
const mixed = `(module
 (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
 (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
 (memory (export "memory") 1)
 (func (export "__guest_call") (param i32 i32) (result i32)
  (local $i i32) (local $sum i32)
  (if (i32.ne (local.get 1) (i32.const 0))
   (then
    (loop $count
     (local.set $sum (i32.add (local.get $sum) (local.get $i)))
     (local.set $i (i32.add (local.get $i) (i32.const 1)))
     (br_if $count (i32.lt_u (local.get $i) (i32.const 30000000))))))
  (i32.store (i32.const 0) (local.get $sum))
  (call $guest_response (i32.const 0) (i32.const 4))
  (i32.const 1)))`;

const pools: MeteredPool[] = [];
/** Why each pool's direct calls turned off (onDirectOff), by pool. */
const offReasons = new Map<MeteredPool, string[]>();
/** How often each pool's direct calls came back on (onDirectOn). */
const onReasons = new Map<MeteredPool, number>();
afterAll(async () => {
  for (const pool of pools) await pool.stop();
});

async function pool(bytes: Uint8Array, hostCall: (request: HostCallRequest) => Promise<Uint8Array>, direct?: boolean): Promise<MeteredPool> {
  const { bytes: metered } = await instrumentedModule(bytes, moduleHash(bytes), cacheDir);
  const reasons: string[] = [];
  const made = new MeteredPool({
    module: new WebAssembly.Module(metered as Uint8Array<ArrayBuffer>),
    kind: "wapc",
    identity: { key: "MDIRECT", name: "direct", caps: ["wascc:logging"] },
    instances: 2,
    maxQueue: 16,
    deadlineMs: 5_000,
    maxMemoryBytes: 16 << 20,
    hostCall,
    scheduler: new Scheduler(),
    onDirectOff: (reason) => reasons.push(reason),
    onDirectOn: () => onReasons.set(made, (onReasons.get(made) ?? 0) + 1),
    ...(direct !== undefined && { direct }),
  });
  offReasons.set(made, reasons);
  onReasons.set(made, 0);
  await made.start();
  pools.push(made);
  return made;
}

describe.runIf(suspensionMode() === "jspi")("direct calls", () => {
  it("answer an operation that needs no suspension as a plain call, and keep doing so", async () => {
    const calls: HostCallRequest[] = [];
    const guest = await pool(rawGuestBytes(), async (request) => (calls.push(request), enc("unused")));
    for (const text of ["a", "bb", "ccc"]) expect(dec(await guest.invoke("Echo", enc(text)))).toBe(text);
    expect(guest.direct).toBe(true);
    expect(calls).toHaveLength(0);
  });

  it("start an operation that makes a host call again on the serve loop: one host call, the serve loop's answer", async () => {
    const calls: HostCallRequest[] = [];
    const guest = await pool(rawGuestBytes(), async (request) => (calls.push(request), enc(`logged ${dec(request.payload)}`)));
    expect(dec(await guest.invoke("HostCall", enc("default|wascc:logging|WriteLog|hello")))).toBe("logged hello");
    // The direct try was thrown out before the host call: the provider saw it once.
    expect(calls.map((c) => [c.binding, c.namespace, c.operation, dec(c.payload)])).toEqual([["default", "wascc:logging", "WriteLog", "hello"]]);
    expect(guest.direct).toBe(false);
    expect(offReasons.get(guest)).toEqual(["wait"]);
    expect(dec(await guest.invoke("HostCall", enc("default|wascc:logging|WriteLog|again")))).toBe("logged again");
    expect(dec(await guest.invoke("Echo", enc("still here")))).toBe("still here");
    expect(calls).toHaveLength(2);
  });

  it("start a guest that outruns its slice again on the serve loop, where it yields and finishes; three in a row turn direct calls off", async () => {
    const guest = await pool(assemble(mixed), () => Promise.reject(new Error("no host calls here")));
    const expected = Number(((BigInt(30_000_000) * BigInt(29_999_999)) / 2n) & 0xffffffffn);
    const directAfter: boolean[] = [];
    for (let i = 0; i < 3; i++) {
      const reply = await guest.invoke("Sum", new Uint8Array([1]));
      expect(new DataView(reply.buffer, reply.byteOffset).getUint32(0, true)).toBe(expected);
      directAfter.push(guest.direct);
    }
    // One overrun may be the thread pausing: direct calls stay on until the third in a row.
    expect(directAfter).toEqual([true, true, false]);
    expect(offReasons.get(guest)).toEqual(["slice"]);
  });

  it("turn off for an actor whose long calls alternate with short ones: the short ones do not wipe the count", async () => {
    const guest = await pool(assemble(mixed), () => Promise.reject(new Error("no host calls here")));
    const directAfterLong: boolean[] = [];
    for (let i = 0; i < 3; i++) {
      await guest.invoke("Sum", new Uint8Array([1]));
      directAfterLong.push(guest.direct);
      await guest.invoke("Now", new Uint8Array());
    }
    expect(directAfterLong).toEqual([true, true, false]);
  });

  it("are tried again once a thousand invocations in a row finished on the serve loop without suspending", async () => {
    const guest = await pool(assemble(mixed), () => Promise.reject(new Error("no host calls here")));
    for (let i = 0; i < 3; i++) await guest.invoke("Sum", new Uint8Array([1]));
    expect(guest.direct).toBe(false);
    // A long call among the short ones yields on the serve loop: the count starts again.
    for (let i = 0; i < 999; i++) await guest.invoke("Now", new Uint8Array());
    await guest.invoke("Sum", new Uint8Array([1]));
    expect(guest.direct).toBe(false);
    for (let i = 0; i < 999; i++) await guest.invoke("Now", new Uint8Array());
    expect(guest.direct).toBe(false);
    const reply = await guest.invoke("Now", new Uint8Array());
    expect(new DataView(reply.buffer, reply.byteOffset).getUint32(0, true)).toBe(0);
    expect(guest.direct).toBe(true);
    expect(onReasons.get(guest)).toBe(1);
    // Back on the same footing: three overruns turn them off again.
    for (let i = 0; i < 3; i++) await guest.invoke("Sum", new Uint8Array([1]));
    expect(guest.direct).toBe(false);
    expect(offReasons.get(guest)).toEqual(["slice", "slice"]);
  });

  it("stay off for an actor that makes host calls: its serve-loop invocations suspend", async () => {
    const guest = await pool(rawGuestBytes(), async (request) => enc(`logged ${dec(request.payload)}`));
    for (let i = 0; i < 1200; i++) {
      const hostCall = i % 2 === 0;
      const reply = await guest.invoke(hostCall ? "HostCall" : "Echo", enc(hostCall ? "default|wascc:logging|WriteLog|x" : "y"));
      expect(dec(reply)).toBe(hostCall ? "logged x" : "y");
    }
    expect(guest.direct).toBe(false);
    expect(onReasons.get(guest)).toBe(0);
  });

  it("can be switched off: every operation then runs on the serve loop", async () => {
    const guest = await pool(rawGuestBytes(), () => Promise.reject(new Error("none")), false);
    expect(guest.direct).toBe(false);
    // However many finish without suspending: switched off is not tried again.
    for (let i = 0; i < 1001; i++) expect(dec(await guest.invoke("Echo", enc("loop")))).toBe("loop");
    expect(guest.direct).toBe(false);
    expect(onReasons.get(guest)).toBe(0);
  });
});
