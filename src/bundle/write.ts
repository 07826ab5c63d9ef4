/** Writing a bundle archive in Atmo's order: Directive.yaml, modules, static files, the rest, the descriptor last. */
import { DESCRIPTOR_ENTRY, DIRECTIVE_ENTRY } from "./read.js";
import { STATIC_PREFIX } from "./static-files.js";
import { writeZip } from "./zip.js";

function rank(name: string): number {
  if (name === DIRECTIVE_ENTRY) return 0;
  if (name === DESCRIPTOR_ENTRY) return 4;
  if (name.startsWith(STATIC_PREFIX)) return 2;
  return name.endsWith(".wasm") ? 1 : 3;
}

export function writeBundleEntries(entries: Map<string, Uint8Array>): Uint8Array {
  const ordered = [...entries].sort(([a], [b]) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  return writeZip(ordered);
}
