/**
 * Enforces a per-instance memory ceiling by rewriting the module's memory limits: with a
 * maximum set, `memory.grow` past it fails inside the guest (AssemblyScript and Rust then
 * trap), which fails that invocation only. Applied after the claims hash was checked.
 */
import { listSections, readVarU32, writeVarU32 } from "../claims/wasm-sections.js";
import { WactorError } from "../errors.js";

export const WASM_PAGE_BYTES = 65536;
const MEMORY_SECTION_ID = 5;

/** Returns the module with every defined memory's maximum capped at `maxBytes`. */
export function capMemory(bytes: Uint8Array, maxBytes: number): Uint8Array {
  const maxPages = Math.max(1, Math.floor(maxBytes / WASM_PAGE_BYTES));
  const section = listSections(bytes).find((s) => s.id === MEMORY_SECTION_ID);
  if (!section) return bytes;
  const sizeField = readVarU32(bytes, section.start + 1);
  const count = readVarU32(bytes, sizeField.next);
  const entries: number[] = [...writeVarU32(count.value)];
  let at = count.next;
  for (let i = 0; i < count.value; i++) {
    const flags = bytes[at]!;
    if (flags > 3) throw new WactorError("WACTOR_ERR_UNSUPPORTED_MODULE", "64-bit memories are not supported");
    const min = readVarU32(bytes, at + 1);
    at = min.next;
    let max = maxPages;
    if (flags & 1) {
      const declared = readVarU32(bytes, at);
      at = declared.next;
      max = Math.min(declared.value, maxPages);
    }
    if (min.value > maxPages) {
      throw new WactorError("WACTOR_ERR_MEMORY_LIMIT", `the module needs ${min.value * 64} KiB at start, the limit is ${maxPages * 64} KiB`);
    }
    entries.push(flags | 1, ...writeVarU32(min.value), ...writeVarU32(max));
  }
  const rebuilt = new Uint8Array([MEMORY_SECTION_ID, ...writeVarU32(entries.length), ...entries]);
  const out = new Uint8Array(bytes.length - (section.end - section.start) + rebuilt.length);
  out.set(bytes.subarray(0, section.start));
  out.set(rebuilt, section.start);
  out.set(bytes.subarray(section.end), section.start + rebuilt.length);
  return out;
}
