/**
 * `wactor bundle sign`: every module gets wascap claims from one account (its capabilities for
 * all functions or per function), then the descriptor seals the whole archive with the same
 * account. A module already signed by that account keeps its module key (its identity).
 */
import { WactorError } from "../errors.js";
import { KeyPair } from "../claims/nkeys.js";
import { signModule } from "../claims/sign.js";
import { decodeToken } from "../claims/token.js";
import type { ActorClaims } from "../claims/types.js";
import { jwtSectionContents, listSections } from "../claims/wasm-sections.js";
import { resolveReference } from "../directive/references.js";
import { DESCRIPTOR_ENTRY, bundleFromEntries } from "./read.js";
import { createDescriptor } from "./seal.js";
import { writeBundleEntries } from "./write.js";
import { readZip } from "./zip.js";

export interface BundleSignOptions {
  /** The account that signs the modules and seals the bundle. */
  issuer: KeyPair;
  /** Capabilities every module may use. */
  caps?: string[];
  /** More capabilities per function, keyed by a function reference (`name`, `ns::name`). */
  capsByFunction?: Record<string, string[]>;
  now?: () => number;
}

export interface SignedBundle {
  bytes: Uint8Array;
  modules: Array<{ entry: string; fqfn: string; claims: ActorClaims }>;
  issuer: string;
}

/** The module key of an existing signature by `issuer`, so re-signing keeps identities. */
function existingSubject(bytes: Uint8Array, issuer: string): KeyPair | undefined {
  try {
    const [token] = jwtSectionContents(bytes, listSections(bytes));
    if (!token) return undefined;
    const { claims } = decodeToken(new TextDecoder().decode(token));
    return claims.issuer === issuer ? KeyPair.fromPublicKey(claims.subject) : undefined;
  } catch {
    return undefined;
  }
}

export async function signBundle(bytes: Uint8Array, file: string, options: BundleSignOptions): Promise<SignedBundle> {
  const entries = readZip(bytes, file);
  entries.delete(DESCRIPTOR_ENTRY);
  const bundle = bundleFromEntries(entries, file);
  const extraCaps = new Map<string, string[]>();
  for (const [reference, caps] of Object.entries(options.capsByFunction ?? {})) {
    const runnable = resolveReference(bundle.directive, reference);
    if (!runnable) throw new WactorError("WACTOR_ERR_BAD_ARGUMENT", `--cap ${reference}=…: the bundle has no function '${reference}'`);
    extraCaps.set(runnable.fqfn, [...(extraCaps.get(runnable.fqfn) ?? []), ...caps]);
  }
  const modules: SignedBundle["modules"] = [];
  for (const m of bundle.modules) {
    const caps = [...new Set([...(options.caps ?? []), ...(extraCaps.get(m.runnable.fqfn) ?? [])])];
    const signed = await signModule(m.bytes, {
      issuer: options.issuer,
      subject: existingSubject(m.bytes, options.issuer.publicKey) ?? KeyPair.create("module"),
      caps,
      name: `${m.runnable.namespace}::${m.runnable.name}`,
      ver: bundle.directive.appVersion,
      ...(options.now && { now: options.now }),
    });
    entries.set(m.entry, signed.bytes);
    modules.push({ entry: m.entry, fqfn: m.runnable.fqfn, claims: signed.claims });
  }
  const descriptor = await createDescriptor(entries, options.issuer, bundle.directive, options.now?.());
  entries.set(DESCRIPTOR_ENTRY, new TextEncoder().encode(descriptor));
  return { bytes: writeBundleEntries(entries), modules, issuer: options.issuer.publicKey };
}
