/**
 * Signed bundles of real example runnables (actors/build/runnables) for tests: a Directive,
 * one module per function (named after the example runnable it is), static files, signed by
 * a fresh account with the capabilities given.
 */
import { KeyPair } from "../../src/claims/nkeys.js";
import { loadBundle, type LoadedBundle } from "../../src/bundle/load.js";
import { signBundle } from "../../src/bundle/sign.js";
import { writeBundleEntries } from "../../src/bundle/write.js";
import { unsignedRunnable } from "./runnables.js";

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

export interface BundleSpec {
  directive: string;
  /** Function name → example runnable whose module it is, or a module's bytes. */
  modules: Record<string, string | Uint8Array>;
  statics?: Record<string, string>;
  /** Capabilities for every function. */
  caps?: string[];
  capsByFunction?: Record<string, string[]>;
}

/** The unsigned archive (as Atmo's build tool would write it). */
export function unsignedBundle(spec: BundleSpec): Uint8Array {
  const entries = new Map<string, Uint8Array>([["Directive.yaml", utf8(spec.directive)]]);
  for (const [fn, runnable] of Object.entries(spec.modules)) entries.set(`${fn}.wasm`, typeof runnable === "string" ? unsignedRunnable(runnable) : runnable);
  for (const [name, text] of Object.entries(spec.statics ?? {})) entries.set(`static/${name}`, utf8(text));
  return writeBundleEntries(entries);
}

export async function signedBundle(spec: BundleSpec, issuer = KeyPair.create("account")): Promise<Uint8Array> {
  const signed = await signBundle(unsignedBundle(spec), "test.wasm.zip", { issuer, caps: spec.caps ?? [], capsByFunction: spec.capsByFunction ?? {} });
  return signed.bytes;
}

export async function loadedBundle(spec: BundleSpec): Promise<LoadedBundle> {
  return loadBundle(await signedBundle(spec), "test.wasm.zip");
}

/** Base X of the spec's conformance cases: identifier, app version, every function in `default`. */
export function xDirective(rest: string, runnables: readonly string[]): string {
  return `identifier: com.suborbital.test
appVersion: v0.0.1
atmoVersion: v0.0.6
runnables:
${runnables.map((r) => `  - { name: ${r}, namespace: default }`).join("\n")}
${rest}`;
}
