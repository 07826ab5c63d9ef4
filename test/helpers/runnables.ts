/**
 * Example Reactr runnables built by `npm run build:actors` into actors/build/runnables/
 * (AssemblyScript on actors/runnable-sdk, and hand-written WAT), unsigned and signed with dev
 * keys. Built on first use, like the example actors.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const MANIFEST = `${ROOT}actors/build/runnables/manifest.json`;

export interface BuiltRunnable {
  /** Unsigned module, as an Atmo bundle carries it. */
  path: string;
  signedPath: string;
  publicKey: string;
  caps: string[];
  /** actors/runnables/<name>/index.ts or actors/runnables/wat/<name>.wat */
  source: string;
}

let cache: Record<string, BuiltRunnable> | undefined;

export function builtRunnables(): Record<string, BuiltRunnable> {
  if (cache) return cache;
  if (!existsSync(MANIFEST)) execFileSync(process.execPath, [`${ROOT}scripts/build-actors.mjs`], { cwd: ROOT, stdio: "inherit" });
  const raw = JSON.parse(readFileSync(MANIFEST, "utf8")) as Record<string, BuiltRunnable>;
  cache = Object.fromEntries(
    Object.entries(raw).map(([name, r]) => [name, { ...r, path: `${ROOT}${r.path}`, signedPath: `${ROOT}${r.signedPath}`, source: `${ROOT}${r.source}` }]),
  );
  return cache;
}

export function runnable(name: string): BuiltRunnable {
  const found = builtRunnables()[name];
  if (!found) throw new Error(`runnable '${name}' is not in actors/build/runnables/manifest.json`);
  return found;
}

/** Signed module bytes of an example runnable. */
export function signedRunnable(name: string): Uint8Array {
  return new Uint8Array(readFileSync(runnable(name).signedPath));
}

/** Unsigned module bytes of an example runnable (for bundles, or to re-sign with other claims). */
export function unsignedRunnable(name: string): Uint8Array {
  return new Uint8Array(readFileSync(runnable(name).path));
}
