/**
 * Walks the instructions of a function body or a constant expression, decoding each only as
 * far as its immediates, and reports what the rewrite needs (jspi-rewrite.ts): loop headers,
 * function indices (`call`, `return_call`, `ref.func`) and indirect calls. Every opcode of
 * WebAssembly 2.0 and of the threads, SIMD (with relaxed SIMD), tail-call, exception-handling
 * (legacy and `try_table`), typed-function-reference, GC, multi-memory, memory64 and
 * extended-const proposals is known; any other byte is refused, never guessed at.
 */
import type { Reader } from "./wasm-bytes.js";

export interface CodeVisitor {
  /**
   * A loop, with the position of its opcode, of its block type, and just past its block type
   * (its first instruction).
   */
  loop(opcode: number, blockType: number, at: number): void;
  /** Any other block (`block`, `if`, `try`, `try_table`) opens. */
  open(): void;
  /** A block closes (`end`, or `delegate` before its label), with the position past it. */
  close(after: number): void;
  /** A branch's label (relative depth) at [start, end), and the opcode that holds it (0x0c `br`, 0x0d `br_if`, ...). */
  label(start: number, end: number, depth: number, opcode: number): void;
  /** A function index at [start, end): a direct call (`call`, `return_call`) or a `ref.func`. */
  func(start: number, end: number, index: number, call: boolean): void;
  /** `call_indirect`, `return_call_indirect`, `call_ref` or `return_call_ref`. */
  indirect(): void;
}

// What follows each one-byte opcode.
const NONE = 0;
const BLOCK = 1; // block type, opens a block
const LOOP = 2;
const LEB = 3; // one LEB128 (an index, a label, a heap type, a constant)
const CALL = 4;
const INDIRECT = 5; // type index and table index
const BR_TABLE = 6;
const SELECT_T = 7;
const MEMARG = 8;
const F32 = 9;
const F64 = 10;
const REF_FUNC = 11;
const END = 12;
const TRY_TABLE = 13;
const DELEGATE = 14; // a label, and closes a legacy `try`
const CALL_REF = 15;
const PREFIX_FB = 16;
const PREFIX_FC = 17;
const PREFIX_FD = 18;
const PREFIX_FE = 19;
const LABEL = 20;
const BAD = 255;

const OPCODES = new Uint8Array(256).fill(BAD);
const set = (kind: number, ...ops: number[]): void => ops.forEach((op) => (OPCODES[op] = kind));
const range = (kind: number, from: number, to: number): void => {
  for (let op = from; op <= to; op++) OPCODES[op] = kind;
};
set(NONE, 0x00, 0x01, 0x05, 0x0a, 0x0f, 0x19, 0x1a, 0x1b, 0xd1, 0xd3, 0xd4);
set(BLOCK, 0x02, 0x04, 0x06);
set(LOOP, 0x03);
set(LABEL, 0x09, 0x0c, 0x0d, 0xd5, 0xd6);
set(LEB, 0x07, 0x08, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x3f, 0x40, 0x41, 0x42, 0xd0);
set(CALL, 0x10, 0x12);
set(INDIRECT, 0x11, 0x13);
set(CALL_REF, 0x14, 0x15);
set(BR_TABLE, 0x0e);
set(SELECT_T, 0x1c);
range(MEMARG, 0x28, 0x3e);
set(F32, 0x43);
set(F64, 0x44);
range(NONE, 0x45, 0xc4);
set(REF_FUNC, 0xd2);
set(END, 0x0b);
set(TRY_TABLE, 0x1f);
set(DELEGATE, 0x18);
set(PREFIX_FB, 0xfb);
set(PREFIX_FC, 0xfc);
set(PREFIX_FD, 0xfd);
set(PREFIX_FE, 0xfe);

/** GC (0xFB): the number of LEB128 immediates of each sub-opcode; -1 for the `br_on_cast` pair. */
const GC_LEBS = [1, 1, 2, 2, 2, 2, 1, 1, 2, 2, 2, 1, 1, 1, 1, 0, 1, 2, 2, 2, 1, 1, 1, 1, -1, -1, 0, 0, 0, 0, 0];
/** Bulk memory, tables, saturating truncation, wide arithmetic (0xFC). */
const MISC_LEBS = [0, 0, 0, 0, 0, 0, 0, 0, 2, 1, 2, 1, 2, 1, 2, 1, 1, 1, -2, 0, 0, 0, 0];

/**
 * Scans `r` from its position: a function body up to `r.end` (which must close it), or with
 * `constant` a constant expression up to and including its closing `end`.
 */
export function scanCode(r: Reader, visitor: CodeVisitor, constant = false): void {
  // The hot path keeps the position in a local and skips LEB128s inline: most instructions
  // are one byte or one byte and a LEB128, and a 2 MB module has about a million of them.
  const bytes = r.bytes;
  const end = r.end;
  let pos = r.pos;
  let depth = 0;
  while (pos < end) {
    const op = bytes[pos++]!;
    const kind = OPCODES[op];
    if (kind === NONE) continue;
    if (kind === LEB) {
      while (bytes[pos]! & 0x80) pos++; // past the buffer, undefined & 0x80 ends it
      if (++pos > end) break;
      continue;
    }
    if (kind === MEMARG) {
      const align = bytes[pos]!;
      while (bytes[pos]! & 0x80) pos++;
      pos++;
      if (align & 0x40) {
        while (bytes[pos]! & 0x80) pos++; // a memory index (multi-memory)
        pos++;
      }
      while (bytes[pos]! & 0x80) pos++;
      if (++pos > end) break;
      continue;
    }
    r.pos = pos;
    switch (kind) {
      case BLOCK:
        r.skipBlockType();
        depth++;
        visitor.open();
        break;
      case LOOP:
        r.skipBlockType();
        depth++;
        visitor.loop(pos - 1, pos, r.pos);
        break;
      case LABEL:
        label(r, visitor, op);
        break;
      case CALL:
      case REF_FUNC: {
        const start = r.pos;
        const index = r.u32();
        visitor.func(start, r.pos, index, op !== 0xd2);
        break;
      }
      case INDIRECT:
        r.skipLeb();
        r.skipLeb();
        visitor.indirect();
        break;
      case CALL_REF:
        r.skipLeb();
        visitor.indirect();
        break;
      case BR_TABLE:
        for (let n = r.u32(); n >= 0; n--) label(r, visitor, op); // the targets and the default
        break;
      case SELECT_T:
        for (let n = r.u32(); n > 0; n--) r.skipValType();
        break;
      case F32:
        r.skip(4);
        break;
      case F64:
        r.skip(8);
        break;
      case END:
      case DELEGATE:
        if (--depth < 0) {
          if (op === 0x0b && (constant || r.pos === end)) return;
          r.fail("code after the end of the function");
        }
        visitor.close(r.pos);
        if (op === 0x18) label(r, visitor, op); // relative to the enclosing block
        break;
      case TRY_TABLE:
        r.skipBlockType();
        for (let n = r.u32(); n > 0; n--) {
          const catchKind = r.u8();
          if (catchKind > 3) r.fail(`unknown catch kind ${catchKind}`);
          if (catchKind < 2) r.skipLeb(); // the tag
          label(r, visitor, op); // outside the try_table's own label
        }
        depth++;
        visitor.open();
        break;
      case PREFIX_FB:
        prefixedGc(r, visitor);
        break;
      case PREFIX_FC: {
        const sub = r.u32();
        const lebs = MISC_LEBS[sub];
        if (lebs === undefined || lebs < 0) r.fail(`unknown opcode 0xfc ${sub}`);
        for (let i = 0; i < lebs; i++) r.skipLeb();
        break;
      }
      case PREFIX_FD:
        prefixedSimd(r);
        break;
      case PREFIX_FE: {
        const sub = r.u32();
        if (sub === 0x03) r.skip(1);
        else if (sub <= 0x02 || (sub >= 0x10 && sub <= 0x4e)) r.skipMemArg();
        else r.fail(`unknown opcode 0xfe ${sub}`);
        break;
      }
      default:
        r.pos--;
        r.fail(`unknown opcode 0x${op.toString(16)}`);
    }
    pos = r.pos;
  }
  r.pos = Math.min(pos, end);
  r.fail(constant ? "a constant expression is never closed" : "the function body is never closed");
}

function label(r: Reader, visitor: CodeVisitor, opcode: number): void {
  const start = r.pos;
  const depth = r.u32();
  visitor.label(start, r.pos, depth, opcode);
}

function prefixedGc(r: Reader, visitor: CodeVisitor): void {
  const sub = r.u32();
  const lebs = GC_LEBS[sub];
  if (lebs === undefined) r.fail(`unknown opcode 0xfb ${sub}`);
  if (lebs === -1) {
    r.skip(1); // cast flags
    label(r, visitor, 0xfb);
    r.skipLeb(); // source heap type
    r.skipLeb(); // target heap type
    return;
  }
  for (let i = 0; i < lebs; i++) r.skipLeb();
}

function prefixedSimd(r: Reader): void {
  const sub = r.u32();
  if (sub <= 11 || sub === 92 || sub === 93) r.skipMemArg();
  else if (sub === 12 || sub === 13) r.skip(16);
  else if (sub >= 21 && sub <= 34) r.skip(1);
  else if (sub >= 84 && sub <= 91) {
    r.skipMemArg();
    r.skip(1);
  } else if (sub > 0x113) r.fail(`unknown opcode 0xfd ${sub}`);
}
