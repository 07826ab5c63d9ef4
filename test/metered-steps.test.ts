/**
 * How the pool hands steps to a guest and takes them back (docs/runtime.md, the besieged
 * echo). A guest's foreground slice is its own: with JSPI the guest runs a microtask after its
 * step is handed over, maybe behind another guest's long step, and that wait must not count
 * against its slice. A JSPI step is answered from inside the guest's `done`, where the pool
 * may give the same instance its next queued operation. Checked on both suspension paths.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { moduleHash } from "../src/claims/hash.js";
import { MeteredPool } from "../src/runtime/metered/metered-pool.js";
import { FOREGROUND_SLICE_MS, Scheduler } from "../src/runtime/metered/scheduler.js";
import { suspensionMode } from "../src/runtime/suspension.js";
import { instrumentedModule } from "../src/runtime/transform/transform-cache.js";
import { assemble } from "./helpers/wat-guests.js";

/** Counts to 40,000 (several ticks, well under a millisecond) and answers nothing. */
const counter = `(module
 (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
 (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
 (memory (export "memory") 1)
 (global $sum (mut i32) (i32.const 0))
 (func (export "__guest_call") (param i32 i32) (result i32)
  (local $i i32)
  (loop $count
   (global.set $sum (i32.add (global.get $sum) (local.get $i)))
   (local.set $i (i32.add (local.get $i) (i32.const 1)))
   (br_if $count (i32.lt_u (local.get $i) (i32.const 40000))))
  (call $guest_response (i32.const 0) (i32.const 0))
  (i32.const 1)))`;

/** Holds the thread in a microtask queued before the invocation, as another guest's step would. */
function holdThreadFirst(ms: number): void {
  queueMicrotask(() => {
    const until = performance.now() + ms;
    while (performance.now() < until);
  });
}

async function counterPool(instances: number, maxQueue: number, direct: boolean): Promise<MeteredPool> {
  const bytes = assemble(counter);
  const { bytes: metered } = await instrumentedModule(bytes, moduleHash(bytes), mkdtempSync(join(tmpdir(), "wactor-steps-")));
  const pool = new MeteredPool({
    module: new WebAssembly.Module(metered as Uint8Array<ArrayBuffer>),
    kind: "wapc",
    identity: { key: "MCOUNTER", name: "counter", caps: [] },
    instances,
    maxQueue,
    deadlineMs: 5_000,
    maxMemoryBytes: 1 << 20,
    hostCall: () => Promise.reject(new Error("no host calls here")),
    scheduler: new Scheduler(),
    direct,
  });
  await pool.start();
  return pool;
}

// On the serve loop (what these cases are about) and, with JSPI, as direct calls (metered-direct.test.ts).
describe.each([false, true])(`a foreground slice (suspension: ${suspensionMode()}, direct calls: %s)`, (direct) => {
  it("starts when the guest runs: a short guest queued behind a long microtask does not turn heavy", async () => {
    const pool = await counterPool(1, 0, direct);
    try {
      // Each invocation is handed over behind 6 ms of someone else's work; none uses its own
      // 2 ms slice, so none yields and the actor stays in the foreground (three overruns in a
      // row would turn it heavy).
      for (let i = 0; i < 5; i++) {
        holdThreadFirst(FOREGROUND_SLICE_MS * 3);
        await expect(pool.invoke("Count", new Uint8Array())).resolves.toHaveLength(0);
        expect(pool.heavy).toBe(false);
      }
    } finally {
      await pool.stop();
    }
  });

  it("one instance answers queued invocations one after another, each begun as the last one returns", async () => {
    const pool = await counterPool(1, 16, direct);
    try {
      const replies = await Promise.all(Array.from({ length: 8 }, () => pool.invoke("Count", new Uint8Array())));
      expect(replies.map((r) => r.length)).toEqual(Array(8).fill(0));
      expect(pool.size).toBe(1);
      await expect(pool.invoke("Count", new Uint8Array())).resolves.toHaveLength(0);
    } finally {
      await pool.stop();
    }
  });
});
