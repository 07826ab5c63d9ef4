/**
 * The bytes of the fuel check the JSPI rewrite inserts (jspi-rewrite.ts): `fuel -= 1`, and
 * when it went below zero, the tick. A loop's check sits on its back edges (docs/runtime.md,
 * "Fuel on back edges") unless a branch other than `br` or `br_if` reaches it, or it takes
 * parameters a branch would have to carry past the check; then at its head.
 */
import { Writer } from "./wasm-bytes.js";

export const BR = 0x0c;
export const BR_IF = 0x0d;
const IF_VOID = [0x04, 0x40];
const END = 0x0b;

/** Where one loop's check goes: `backEdges` until a branch of another kind reaches the loop. */
export interface LoopCheck {
  backEdges: boolean;
  /** Untyped, so peeled: `block $done (loop $again (block $spent (loop $L body) br $done) call tick br $again))`. */
  peeled: boolean;
}

export class FuelChecks {
  /** The check in place: `fuel -= 1; if fuel < 0 { call tick }` (a recursive function's entry, a typed loop's head). */
  readonly inPlace: Uint8Array;
  /** At a peeled loop's head: out to $spent, which ticks and enters the loop again. */
  readonly peeledHead: Uint8Array;
  /** The peel around an untyped loop, before and after it. */
  readonly peelBefore = new Uint8Array([0x02, 0x40, 0x03, 0x40, 0x02, 0x40]);
  readonly peelAfter: Uint8Array;
  readonly #spend: Uint8Array;
  readonly #tickIfSpent: Uint8Array;

  constructor(fuelGlobal: number, tick: number) {
    // global.get, i32.const 1, i32.sub, global.set, global.get, i32.const 0, i32.lt_s
    this.#spend = new Writer(32)
      .u8(0x23)
      .u32(fuelGlobal)
      .u8(0x41)
      .u8(1)
      .u8(0x6b)
      .u8(0x24)
      .u32(fuelGlobal)
      .u8(0x23)
      .u32(fuelGlobal)
      .u8(0x41)
      .u8(0)
      .u8(0x48)
      .view();
    this.#tickIfSpent = new Writer(16).bytes(IF_VOID).u8(0x10).u32(tick).u8(END).view();
    this.inPlace = new Writer(48).bytes(this.#spend).bytes(this.#tickIfSpent).view();
    this.peeledHead = new Writer(48).bytes(this.#spend).u8(BR_IF).u8(1).view();
    this.peelAfter = new Writer(16).bytes([BR, 2, END, 0x10]).u32(tick).bytes([BR, 0, END, END]).view();
  }

  /**
   * A back edge (`br_if` when `conditional`, else `br`) to a loop `to` labels out: the check,
   * then the branch. A `br_if` becomes `if (check; br)`, one label deeper inside; a peeled
   * loop's check breaks out to $spent, just outside the loop, whose tick then enters the loop
   * again, which is what the branch does.
   */
  backEdge(conditional: boolean, to: number, peeled: boolean): Uint8Array {
    const inner = conditional ? to + 1 : to;
    const w = new Writer(64);
    if (conditional) w.bytes(IF_VOID);
    w.bytes(this.#spend);
    if (peeled) w.u8(BR_IF).u32(inner + 1);
    else w.bytes(this.#tickIfSpent);
    w.u8(BR).u32(inner);
    if (conditional) w.u8(END);
    return w.view();
  }
}
