/** ZIP reading and writing for bundles, through fflate (small, no native code, fast enough). */
import { unzipSync, zipSync, type Zippable } from "fflate";
import { WactorError } from "../errors.js";

/** Entry name → bytes; directory entries are skipped; a repeated name keeps the last, as Atmo does. */
export function readZip(bytes: Uint8Array, file: string): Map<string, Uint8Array> {
  let raw: Record<string, Uint8Array>;
  try {
    raw = unzipSync(bytes);
  } catch (err) {
    throw new WactorError("WACTOR_ERR_BUNDLE", `${file}: not a readable ZIP archive (${(err as Error).message})`);
  }
  const entries = new Map<string, Uint8Array>();
  for (const [name, data] of Object.entries(raw)) {
    if (name.endsWith("/") && data.length === 0) continue;
    // Names are only looked up in memory, never written to disk; still, refuse ones that try to climb out.
    if (name.startsWith("/") || name.split("/").includes(".."))
      throw new WactorError("WACTOR_ERR_BUNDLE", `${file}: entry '${name}' is absolute or contains '..'`);
    entries.set(name, data);
  }
  return entries;
}

/** Writes entries in the order given (Directive.yaml first, by the callers' convention). */
export function writeZip(entries: Iterable<[string, Uint8Array]>): Uint8Array {
  const flat: Zippable = {};
  // Insertion order of a plain object is kept by fflate; names are flat paths with '/'.
  for (const [name, data] of entries) flat[name] = [data, { level: name.endsWith(".wasm") ? 6 : 9 }];
  return zipSync(flat, { mtime: new Date("2020-01-01T00:00:00Z") });
}
