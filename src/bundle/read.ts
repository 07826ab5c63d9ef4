/**
 * A `.wasm.zip` bundle read and bound: its Directive (parsed and validated), one module per
 * runnable, static files. This is the structural part; seal.ts checks the signature first
 * when a bundle is loaded to run (load.ts).
 */
import { WactorError } from "../errors.js";
import { loadDirective } from "../directive/load.js";
import { parseReference, resolveReference } from "../directive/references.js";
import type { Directive, Runnable } from "../directive/types.js";
import { STATIC_PREFIX, StaticFiles } from "./static-files.js";
import { readZip } from "./zip.js";

export const DIRECTIVE_ENTRY = "Directive.yaml";
export const DESCRIPTOR_ENTRY = "wactor-bundle.jwt";

export interface BundleModule {
  /** The ZIP entry, e.g. `hello.wasm`. */
  entry: string;
  runnable: Runnable;
  bytes: Uint8Array;
}

export interface Bundle {
  file: string;
  directive: Directive;
  directiveText: string;
  /** One per runnable, in the Directive's order. */
  modules: BundleModule[];
  statics: StaticFiles;
  /** Every entry of the archive (directories left out). */
  entries: Map<string, Uint8Array>;
}

/**
 * The runnable a module entry is for: its name minus `.wasm` as a function reference; else,
 * as a wactor addition, the one runnable of that bare name in any namespace (so the build
 * tools' `<name>.wasm` also loads a function outside `default`).
 */
export function runnableForModule(directive: Directive, entry: string): Runnable | undefined {
  if (entry.includes("/")) return undefined;
  const reference = entry.slice(0, -".wasm".length);
  const exact = resolveReference(directive, reference);
  if (exact) return exact;
  const ref = parseReference(reference);
  if (reference.includes("::") || ref.identifier !== undefined || ref.version !== undefined) return undefined;
  const byName = directive.runnables.filter((r) => r.name === reference);
  return byName.length === 1 ? byName[0] : undefined;
}

/** Binds modules to runnables; every module without a runnable and every runnable without a module is reported at once. */
export function bindModules(directive: Directive, entries: Map<string, Uint8Array>, file: string): BundleModule[] {
  const problems: string[] = [];
  const byFqfn = new Map<string, BundleModule>();
  for (const [entry, bytes] of entries) {
    if (!entry.endsWith(".wasm") || entry.startsWith(STATIC_PREFIX)) continue;
    const runnable = runnableForModule(directive, entry);
    if (!runnable) {
      problems.push(`unable to find Runnable for module ${entry}${entry.includes("/") ? " (modules sit at the root of the bundle)" : ""}`);
      continue;
    }
    const other = byFqfn.get(runnable.fqfn);
    if (other) problems.push(`modules ${other.entry} and ${entry} are both for ${runnable.namespace}::${runnable.name}`);
    byFqfn.set(runnable.fqfn, { entry, runnable, bytes });
  }
  for (const runnable of directive.runnables) {
    if (!byFqfn.has(runnable.fqfn)) problems.push(`missing ModuleRef for Runnable ${runnable.namespace}::${runnable.name} (add ${runnable.name}.wasm)`);
  }
  if (problems.length > 0) throw new WactorError("WACTOR_ERR_BUNDLE", `${file}: ${problems.join("; ")}`);
  return directive.runnables.map((r) => byFqfn.get(r.fqfn)!);
}

/** Reads a bundle's entries into a bound Bundle (no signature check: see loadBundle). */
export function bundleFromEntries(entries: Map<string, Uint8Array>, file: string): Bundle {
  const directiveBytes = entries.get(DIRECTIVE_ENTRY);
  if (!directiveBytes)
    throw new WactorError(
      "WACTOR_ERR_BUNDLE",
      `${file}: bundle is missing ${DIRECTIVE_ENTRY} at its root${entries.has("Directive.yml") ? " (Directive.yml is not recognised)" : ""}`,
    );
  const directiveText = new TextDecoder().decode(directiveBytes);
  const directive = loadDirective(directiveText, `${file}!${DIRECTIVE_ENTRY}`);
  return { file, directive, directiveText, modules: bindModules(directive, entries, file), statics: new StaticFiles(entries), entries };
}

export function readBundle(bytes: Uint8Array, file: string): Bundle {
  return bundleFromEntries(readZip(bytes, file), file);
}
