/**
 * Example actors built by `npm run build:actors` (AssemblyScript, signed with dev keys).
 * Built on first use, so a fresh checkout's `npm test` needs no manual step.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const MANIFEST = `${ROOT}actors/build/manifest.json`;

export interface BuiltActor {
  path: string;
  signedPath: string;
  publicKey: string;
  caps: string[];
}

let cache: Record<string, BuiltActor> | undefined;

export function builtActors(): Record<string, BuiltActor> {
  if (cache) return cache;
  if (!existsSync(MANIFEST)) execFileSync(process.execPath, [`${ROOT}scripts/build-actors.mjs`], { cwd: ROOT, stdio: "inherit" });
  const raw = JSON.parse(readFileSync(MANIFEST, "utf8")) as Record<string, BuiltActor>;
  const resolved: Record<string, BuiltActor> = {};
  for (const [name, actor] of Object.entries(raw)) {
    resolved[name] = { ...actor, path: abs(actor.path), signedPath: abs(actor.signedPath) };
  }
  cache = resolved;
  return cache;
}

function abs(path: string): string {
  return path.startsWith("/") ? path : `${ROOT}${path}`;
}

export function actor(name: string): BuiltActor {
  const found = builtActors()[name];
  if (!found) throw new Error(`actor '${name}' is not in actors/build/manifest.json`);
  return found;
}

/** Signed module bytes of an example actor. */
export function signedBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(actor(name).signedPath));
}

/** Unsigned module bytes of an example actor (to re-sign with other claims). */
export function unsignedBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(actor(name).path));
}
