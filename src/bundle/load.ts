/**
 * Loading a bundle to run: the seal first (nothing changed, added or removed since `wactor
 * bundle sign`), then every module's own claims (signed by the sealing account), then the
 * Directive and the module binding.
 */
import { readFile } from "node:fs/promises";
import { WactorError } from "../errors.js";
import type { ActorClaims } from "../claims/types.js";
import { verifyModule } from "../claims/verify.js";
import { bundleFromEntries, type Bundle } from "./read.js";
import { verifySeal, type BundleSeal } from "./seal.js";
import { readZip } from "./zip.js";

export interface LoadBundleOptions {
  /** Accounts trusted to seal bundles; empty = any valid signature. */
  trustedIssuers?: readonly string[];
  /** Clock for claims' validity dates, in ms (tests). */
  now?: () => number;
}

export interface LoadedBundle extends Bundle {
  seal: BundleSeal;
  /** Each module's verified claims, by FQFN. */
  claims: Map<string, ActorClaims>;
}

export async function loadBundle(bytes: Uint8Array, file: string, options: LoadBundleOptions = {}): Promise<LoadedBundle> {
  const entries = readZip(bytes, file);
  const verdict = await verifySeal(entries, options.trustedIssuers ?? []);
  if (!verdict.sealed) throw new WactorError(verdict.error.code, `${file}: ${verdict.error.detail ?? verdict.error.message}`);
  const bundle = bundleFromEntries(entries, file);
  const claims = new Map<string, ActorClaims>();
  for (const m of bundle.modules) {
    const moduleVerdict = await verifyModule(m.bytes, { trustedIssuers: [verdict.seal.issuer], ...(options.now && { now: options.now }) });
    if (!moduleVerdict.valid)
      throw new WactorError(moduleVerdict.error.code, `${file}!${m.entry}: ${moduleVerdict.error.detail ?? moduleVerdict.error.message}`);
    claims.set(m.runnable.fqfn, moduleVerdict.claims);
  }
  return { ...bundle, seal: verdict.seal, claims };
}

export async function loadBundleFile(file: string, options: LoadBundleOptions = {}): Promise<LoadedBundle> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new WactorError("WACTOR_ERR_FILE_READ", `${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return loadBundle(bytes, file, options);
}
