/**
 * Signed bundles (`.wasm.zip`) in OCI registries: one artifact, one layer holding the archive
 * as `wactor bundle sign` wrote it (bundle-artifact types in artifact.ts), annotated with the
 * app and the sealing account. The seal and every module's claims are verified before a push
 * and after a pull, as for actors: nothing unsealed or altered enters or leaves a registry.
 */
import type { Logger } from "pino";
import { loadBundle, type LoadedBundle } from "../bundle/load.js";
import { WactorError } from "../errors.js";
import { BUNDLE_CONFIG_TYPE, BUNDLE_LAYER_TYPE, singleLayerArtifact, type BuiltArtifact } from "./artifact.js";
import { fetchPinned, type Fetched } from "./fetch.js";
import { formatReference, parseReference, tryParseReference, type OciReference } from "./reference.js";
import { pushArtifact, registryOptionsFromEnv, verifiedActor, type PulledActor, type PullOptions, type RegistryOptions } from "./registry.js";

export const BUNDLE_ANNOTATION = {
  version: "org.opencontainers.image.version",
  identifier: "dev.wactor.bundle.identifier",
  issuer: "dev.wactor.bundle.issuer",
  functions: "dev.wactor.bundle.functions",
} as const;

export interface PushedBundle {
  reference: string;
  digest: string;
  layerDigest: string;
  size: number;
  bundle: LoadedBundle;
}

export interface PulledBundle extends Omit<PushedBundle, "size"> {
  bytes: Uint8Array;
  fromCache: boolean;
}

/** Config, layer and manifest of a sealed bundle; deterministic for given bytes. */
export function buildBundleArtifact(bytes: Uint8Array, bundle: LoadedBundle, fileName: string): BuiltArtifact {
  return singleLayerArtifact(bytes, { config: BUNDLE_CONFIG_TYPE, layer: BUNDLE_LAYER_TYPE }, fileName, {
    [BUNDLE_ANNOTATION.identifier]: bundle.directive.identifier,
    [BUNDLE_ANNOTATION.version]: bundle.directive.appVersion,
    [BUNDLE_ANNOTATION.issuer]: bundle.seal.issuer,
    [BUNDLE_ANNOTATION.functions]: bundle.modules.map((m) => m.runnable.fqfn).join(","),
  });
}

/** Verifies the seal and every module's claims, then pushes the bundle under the reference's tag. */
export async function pushBundle(text: string, bytes: Uint8Array, fileName: string, options: RegistryOptions = {}): Promise<PushedBundle> {
  const ref = parseReference(text, { allowLatest: options.allowLatest ?? false });
  if (ref.digest !== undefined) throw new WactorError("WACTOR_ERR_OCI_REFERENCE", `'${text}': a push names a tag; the digest is computed from what is pushed`);
  const bundle = await loadBundle(bytes, fileName);
  const artifact = buildBundleArtifact(bytes, bundle, fileName);
  const digest = await pushArtifact(ref, bytes, artifact, options);
  return { reference: formatReference(ref), digest, layerDigest: artifact.layer.digest, size: bytes.byteLength, bundle };
}

/** Pulls a bundle and verifies it (seal, modules' claims; the sealing account among `trustedIssuers` when given). */
export async function pullBundle(text: string, options: PullOptions = {}): Promise<PulledBundle> {
  const { ref, fetched } = await fetchPinned(text, options);
  return verifiedBundle(ref, fetched, options);
}

async function verifiedBundle(ref: OciReference, fetched: Fetched, options: Pick<PullOptions, "trustedIssuers">): Promise<PulledBundle> {
  const where = formatReference(ref);
  if (fetched.kind !== "bundle") throw new WactorError("WACTOR_ERR_OCI_NOT_WASM", `${where} is an actor, not a bundle`);
  const bundle = await loadBundle(fetched.bytes, where, { ...(options.trustedIssuers && { trustedIssuers: options.trustedIssuers }) });
  return { reference: where, digest: fetched.digest, layerDigest: fetched.layerDigest, bytes: fetched.bytes, fromCache: fetched.fromCache, bundle };
}

/** A pull configured from the environment, as hosts pull actors (registry.ts pullActorFromEnv). */
export async function pullBundleFromEnv(text: string, extra: Pick<PullOptions, "trustedIssuers"> = {}, logger?: Logger): Promise<PulledBundle> {
  const pulled = await pullBundle(text, { ...registryOptionsFromEnv(tryParseReference(text)?.registry), ...extra });
  logger?.info({ ref: text, digest: pulled.digest, fromCache: pulled.fromCache, bundle: pulled.bundle.directive.identifier }, `pulled bundle ${text}`);
  return pulled;
}

export type PulledArtifact = ({ kind: "actor" } & PulledActor) | ({ kind: "bundle" } & PulledBundle);

/** Whatever the reference names, actor or bundle, verified as its kind is. */
export async function pullArtifact(text: string, options: PullOptions = {}): Promise<PulledArtifact> {
  const { ref, fetched } = await fetchPinned(text, options);
  return fetched.kind === "bundle"
    ? { kind: "bundle", ...(await verifiedBundle(ref, fetched, options)) }
    : { kind: "actor", ...(await verifiedActor(ref, fetched, options)) };
}
