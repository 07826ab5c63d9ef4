/**
 * Hand-assembled WebAssembly modules for tests that need valid modules without a compiler.
 * `answerModule()` exports `answer() -> i32` returning 42 and has a code section to tamper with.
 */
import { writeVarU32 } from "../../src/claims/wasm-sections.js";

function section(id: number, payload: number[]): number[] {
  return [id, ...leb(payload.length), ...payload];
}

const leb = writeVarU32;

function str(text: string): number[] {
  const bytes = [...new TextEncoder().encode(text)];
  return [...leb(bytes.length), ...bytes];
}

export const WASM_HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/** A custom section with the given name and content. */
export function customSection(name: string, content: Uint8Array | number[]): number[] {
  return section(0, [...str(name), ...content]);
}

export function answerModule(options: { padding?: number } = {}): Uint8Array {
  const type = section(1, [1, 0x60, 0, 1, 0x7f]); // one type: () -> i32
  const func = section(3, [1, 0]); // one function of type 0
  const exp = section(7, [1, ...str("answer"), 0x00, 0]); // export func 0 as "answer"
  const body = [0, 0x41, 42, 0x0b]; // no locals; i32.const 42; end
  const code = section(10, [1, ...leb(body.length), ...body]);
  const base = new Uint8Array([...WASM_HEADER, ...type, ...func, ...exp, ...code]);
  if (!options.padding) return base;
  // Large padding is concatenated, not spread: a 50 MB spread would blow the stack.
  const name = str("padding");
  const head = new Uint8Array([0, ...leb(name.length + options.padding), ...name]);
  const out = new Uint8Array(base.length + head.length + options.padding);
  out.set(base);
  out.set(head, base.length);
  return out;
}

/** Offset of the `i32.const` immediate (42) inside answerModule()'s code section. */
export function answerConstantOffset(bytes: Uint8Array): number {
  for (let i = bytes.length - 1; i > 8; i--) if (bytes[i] === 42 && bytes[i - 1] === 0x41) return i;
  throw new Error("constant not found");
}
