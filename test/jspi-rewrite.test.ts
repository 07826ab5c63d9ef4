/**
 * The single-pass JSPI instrumentation (src/runtime/transform/jspi-rewrite.ts): every example
 * actor and runnable comes out valid with the runtime's ABI, and a module using the opcodes
 * and index spaces the rewrite must get right (tables, element expressions, `ref.func` in a
 * global, a start function, tail calls, SIMD, bulk memory, atomics, exceptions, GC) computes
 * what it computed before, with its loops and recursion metered.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { instrumentJspi } from "../src/runtime/transform/instrument-jspi.js";
import { FUEL_PER_TICK } from "../src/runtime/transform/metering-abi.js";
import { codeOf } from "./helpers/code-of.js";
import { assemble } from "./helpers/wat-guests.js";

const BUILD = join(import.meta.dirname, "..", "actors", "build");
const unsigned = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith(".wasm") && !f.endsWith("_s.wasm"));
const names = (bytes: Uint8Array, list: typeof WebAssembly.Module.imports | typeof WebAssembly.Module.exports): string[] =>
  list(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>)).map((d) => ("module" in d ? `${d.module}.${d.name}` : d.name));

describe("the JSPI rewrite of the example guests", () => {
  it.each(unsigned(BUILD))("actor %s: valid, metered, with the serve loop", (file) => {
    const input = new Uint8Array(readFileSync(join(BUILD, file)));
    const { bytes, report } = instrumentJspi(input, "wapc");
    expect(WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>)).toBe(true);
    expect(report.loops).toBeGreaterThan(0);
    expect(names(bytes, WebAssembly.Module.exports)).toEqual(expect.arrayContaining(["__guest_call", "__wactor_fuel", "__wactor_suspend", "__wactor_serve"]));
    expect(names(bytes, WebAssembly.Module.imports)).toEqual([
      ...names(input, WebAssembly.Module.imports),
      "wactor.tick",
      "wactor.wait",
      "wactor.next",
      "wactor.arg",
      "wactor.done",
    ]);
  });

  it.each(unsigned(join(BUILD, "runnables")))("runnable %s: valid, entered through run_e", (file) => {
    const { bytes } = instrumentJspi(new Uint8Array(readFileSync(join(BUILD, "runnables", file))), "runnable");
    expect(WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>)).toBe(true);
    expect(names(bytes, WebAssembly.Module.exports)).toContain("__wactor_serve");
  });
});

// $fact recurses, $sum and $spin loop; __guest_call reaches them through the table, a
// funcref global, a tail call and directly, and uses post-MVP opcodes on the way.
const WIDE = `(module
 (type $ii (func (param i32) (result i32)))
 (type $pair (struct (field i32) (field i32)))
 (import "wapc" "__host_call" (func $host (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
 (import "env" "abort" (func $abort (param i32 i32 i32 i32)))
 (memory $m (export "memory") 1 1 shared)
 (table $t 4 funcref)
 (elem (table $t) (i32.const 0) func $double $fact $sum)
 (elem $later funcref (ref.func $inc) (ref.func $tail))
 (global $g (mut funcref) (ref.func $inc))
 (global $started (mut i32) (i32.const 0))
 (data $d "hello")
 (tag $oops (param i32))
 (start $init)
 (func $init (global.set $started (i32.const 7)))
 (func $double (type $ii) (i32.mul (local.get 0) (i32.const 2)))
 (func $inc (type $ii) (i32.add (local.get 0) (i32.const 1)))
 (func $fact (type $ii)
  (if (result i32) (i32.le_s (local.get 0) (i32.const 1))
   (then (i32.const 1))
   (else (i32.mul (local.get 0) (call $fact (i32.sub (local.get 0) (i32.const 1)))))))
 (func $sum (type $ii) (local $acc i32)
  (loop $l
   (local.set $acc (i32.add (local.get $acc) (local.get 0)))
   (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
   (br_if $l (local.get 0)))
  (local.get $acc))
 (func $spin (param $n i32) (result i32) (local $i i32)
  (block $out
   (loop $again
    (br_table $out $again $again (i32.rem_u (local.get $i) (i32.const 3)))))
  (loop $count
   (local.set $i (i32.add (local.get $i) (i32.const 1)))
   (br_if $count (i32.lt_u (local.get $i) (local.get $n))))
  (local.get $i))
 (func $tail (param i32) (result i32) (return_call $double (local.get 0)))
 (func $simd (result i32)
  (v128.store (i32.const 16) (v128.const i32x4 1 2 3 4))
  (i32x4.extract_lane 1
   (i8x16.shuffle 4 5 6 7 0 1 2 3 8 9 10 11 12 13 14 15 (v128.load (i32.const 16)) (v128.const i32x4 0 0 0 0))))
 (func $bulk (result i32)
  (memory.init $d (i32.const 100) (i32.const 0) (i32.const 5))
  (memory.copy (i32.const 200) (i32.const 100) (i32.const 5))
  (memory.fill (i32.const 300) (i32.const 9) (i32.const 4))
  (data.drop $d)
  (drop (i32.atomic.rmw.add (i32.const 300) (i32.const 1)))
  (atomic.fence)
  (i32.add (i32.load8_u (i32.const 204)) (i32.atomic.load8_u (i32.const 300))))
 (func $caught (result i32)
  (block $h (result i32)
   (try_table (catch $oops $h) (throw $oops (i32.const 41)))
   (i32.const 0)))
 (func $gc (result i32) (struct.get $pair 1 (struct.new $pair (i32.const 3) (i32.const 4))))
 (func (export "__guest_call") (param i32 i32) (result i32)
  (i32.add
   (i32.add
    (i32.add (call_indirect (type $ii) (i32.const 5) (i32.const 0)) (call_indirect (type $ii) (i32.const 5) (i32.const 1)))
    (i32.add (call_indirect (type $ii) (local.get 0) (i32.const 2)) (call_ref $ii (i32.const 1) (ref.cast (ref $ii) (global.get $g)))))
   (i32.add
    (i32.add (call $tail (i32.const 3)) (call $spin (local.get 1)))
    (i32.add (i32.add (call $simd) (call $bulk)) (i32.add (call $caught) (i32.add (call $gc) (global.get $started))))))))`;

function run(bytes: Uint8Array, a: number, b: number): { value: number; fuel: number | undefined; ticks: number } {
  let ticks = 0;
  let exports: Record<string, unknown> = {};
  const imports = {
    wapc: { __host_call: () => 0 },
    env: { abort: () => {} },
    wactor: {
      tick: () => {
        ticks++;
        (exports.__wactor_fuel as WebAssembly.Global).value = FUEL_PER_TICK;
      },
      wait: () => 0,
      next: () => {},
      arg: () => 0,
      done: () => {},
    },
  };
  exports = new WebAssembly.Instance(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>), imports).exports;
  const value = (exports.__guest_call as (a: number, b: number) => number)(a, b);
  return { value, fuel: (exports.__wactor_fuel as WebAssembly.Global | undefined)?.value as number | undefined, ticks };
}

describe("a module using tables, references, tail calls, SIMD, bulk memory, atomics, exceptions and GC", () => {
  const plain = assemble(WIDE);
  const { bytes, report } = instrumentJspi(plain, "wapc");

  it("computes what it computed before", () => {
    const before = run(plain, 4, 10);
    // table: double(5), fact(5), sum(4); call_ref inc(1); tail double(3); spin(10); SIMD lane 1
    // of (2 1 3 4); "hello"[4] + 9 + 1; the caught tag's 41; the struct's 4; the start's 7.
    expect(before.value).toBe(10 + 120 + 10 + 2 + 6 + 10 + 1 + (111 + 10) + 41 + 4 + 7);
    expect(run(bytes, 4, 10).value).toBe(before.value);
  });

  it("spends fuel at every loop turn and recursive call, and ticks when it runs out", () => {
    expect(report).toMatchObject({ loops: 3, recursiveFunctions: 1 });
    // fact(5): 5 entries; sum(4): 3 back edges; spin(10): its br_table loop checks at its head
    // (once), its counting loop on its 9 back edges.
    expect(run(bytes, 4, 10)).toMatchObject({ fuel: FUEL_PER_TICK - 5 - 3 - 1 - 9, ticks: 0 });
    const long = run(bytes, 4, 3 * FUEL_PER_TICK);
    expect(long.ticks).toBe(3);
  });
});

// Back edges of every form the rewrite sees: a `br` from inside a block, a `br_if` from the loop
// body, a loop with a result (checked in place, not peeled), and loops that never turn.
const BACK_EDGES = `(module
 (memory (export "memory") 1)
 (func $nested (param $n i32) (result i32) (local $i i32)
  (loop $l
   (block $odd
    (br_if $odd (i32.and (local.get $i) (i32.const 1)))
    (local.set $i (i32.add (local.get $i) (i32.const 1)))
    (br $l))
   (local.set $i (i32.add (local.get $i) (i32.const 1)))
   (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
  (local.get $i))
 (func $typed (param $n i32) (result i32)
  (loop $l (result i32)
   (local.set $n (i32.sub (local.get $n) (i32.const 1)))
   (br_if $l (i32.gt_s (local.get $n) (i32.const 0)))
   (local.get $n)))
 (func $once (param $n i32) (result i32)
  (loop $l (br_if $l (i32.lt_s (local.get $n) (i32.const 0))))
  (local.get $n))
 (func (export "__guest_call") (param i32 i32) (result i32)
  (i32.add (i32.add (call $nested (local.get 0)) (call $typed (local.get 1)))
   (i32.add (call $once (i32.const 1)) (call $once (i32.const 2))))))`;

describe("the fuel check on a loop's back edges", () => {
  const plain = assemble(BACK_EDGES);
  const { bytes, report } = instrumentJspi(plain, "wapc");

  it("spends fuel on every turn of a loop and none on entering it", () => {
    expect(report.loops).toBe(3);
    // nested(10): 10 turns, 9 back edges (five by br, four by br_if); typed(5): 4; once: none.
    expect(run(bytes, 10, 5)).toEqual({ value: run(plain, 10, 5).value, fuel: FUEL_PER_TICK - 9 - 4, ticks: 0 });
  });

  it("ticks from every form of back edge when the fuel runs out", () => {
    // FUEL_PER_TICK + 1 checks take the counter below zero: a tick, and it is full again.
    expect(run(bytes, 3 * FUEL_PER_TICK, 1)).toMatchObject({ value: 3 * FUEL_PER_TICK + 3, ticks: 2 });
    expect(run(bytes, 10, 3 * FUEL_PER_TICK)).toMatchObject({ value: 10 + 0 + 3, ticks: 3 });
  });
});

describe("a loop with parameters (multi-value; Binaryen's text cannot say it)", () => {
  // (func (param i32 i32) (result i32) local.get 0 loop (param i32) (result i32)
  //   i32.const 1 i32.sub local.tee 0 local.get 0 br_if 0 end)
  const section = (id: number, content: number[]): number[] => [id, content.length, ...content];
  const exportName = [...new TextEncoder().encode("__guest_call")];
  const body = [0, 0x20, 0, 0x03, 0, 0x41, 1, 0x6b, 0x22, 0, 0x20, 0, 0x0d, 0, 0x0b, 0x0b];
  const plain = new Uint8Array([
    ...[0, 0x61, 0x73, 0x6d, 1, 0, 0, 0],
    ...section(1, [2, 0x60, 1, 0x7f, 1, 0x7f, 0x60, 2, 0x7f, 0x7f, 1, 0x7f]),
    ...section(3, [1, 1]),
    ...section(7, [1, exportName.length, ...exportName, 0, 0]),
    ...section(10, [1, body.length, ...body]),
  ]);

  it("keeps its values on the stack under the fuel check", () => {
    expect(WebAssembly.validate(plain)).toBe(true);
    const { bytes, report } = instrumentJspi(plain, "wapc");
    expect(report.loops).toBe(1);
    expect(run(bytes, 7, 0)).toEqual({ value: 0, fuel: FUEL_PER_TICK - 7, ticks: 0 });
  });
});

describe("modules the rewrite refuses", () => {
  const guest = assemble(`(module (memory (export "memory") 1) (func (export "__guest_call") (param i32 i32) (result i32) (i32.const 1)))`);

  it("one that already imports from the runtime's module", async () => {
    const taken = assemble(`(module (import "wactor" "tick" (func)) (memory (export "memory") 1)
 (func (export "__guest_call") (param i32 i32) (result i32) (call 0) (i32.const 1)))`);
    expect(await codeOf((async () => instrumentJspi(taken, "wapc"))())).toBe("WACTOR_ERR_UNSUPPORTED_MODULE");
  });

  it("one without the kind's entry, or with an opcode nobody defined", async () => {
    expect(await codeOf((async () => instrumentJspi(guest, "runnable"))())).toBe("WACTOR_ERR_UNSUPPORTED_MODULE");
    const bad = guest.slice();
    bad[bad.lastIndexOf(0x41)] = 0xe9; // i32.const -> no such opcode
    expect(() => instrumentJspi(bad, "wapc")).toThrow(/unknown opcode 0xe9/);
  });

  it("one cut short inside its code", async () => {
    const cut = guest.slice(0, guest.length - 2);
    expect(await codeOf((async () => instrumentJspi(cut, "wapc"))())).toBe("WACTOR_ERR_UNSUPPORTED_MODULE");
  });
});
