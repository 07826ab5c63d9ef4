/**
 * Compiles a verified actor module for its instances: the memory ceiling written into the
 * module first (memory-limit.ts), then a check that it is a waPC guest at all, so a module
 * that could never serve fails at start with a clear code rather than at its first call.
 */
import { WactorError, isWactorError } from "../errors.js";
import { capMemory } from "./memory-limit.js";

const WAPC_EXPORTS: ReadonlyArray<[string, WebAssembly.ImportExportKind]> = [
  ["__guest_call", "function"],
  ["memory", "memory"],
];

export async function compileActorModule(bytes: Uint8Array, maxMemoryBytes: number): Promise<WebAssembly.Module> {
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile(capMemory(bytes, maxMemoryBytes) as Uint8Array<ArrayBuffer>);
  } catch (err) {
    if (isWactorError(err)) throw err;
    throw new WactorError("WACTOR_ERR_MODULE_COMPILE", (err as Error).message);
  }
  const exports = WebAssembly.Module.exports(module);
  const missing = WAPC_EXPORTS.filter(([name, kind]) => !exports.some((e) => e.name === name && e.kind === kind));
  if (missing.length > 0) throw new WactorError("WACTOR_ERR_UNSUPPORTED_MODULE", `not a waPC actor: it does not export ${missing.map(([n]) => n).join(" and ")}`);
  return module;
}
