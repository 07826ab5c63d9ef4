/**
 * Push and pull of signed actors by OCI reference. Claims are verified before a push and
 * after a pull (signature, module hash, dates, trusted issuers), so nothing unsigned or
 * altered enters or leaves a registry through wactor.
 */
import type { Logger } from "pino";
import type { ActorClaims } from "../claims/types.js";
import { assertValidModule } from "../claims/verify.js";
import { WactorError } from "../errors.js";
import { buildArtifact, OCI_MANIFEST_TYPE, type BuiltArtifact } from "./artifact.js";
import { fetchPinned, type Fetched } from "./fetch.js";
import { credentialsFrom, type RegistryCredentials } from "./auth.js";
import { RegistryClient, type Progress } from "./client.js";
import { formatReference, manifestReference, parseReference, tryParseReference, type OciReference } from "./reference.js";

export interface RegistryOptions {
  credentials?: RegistryCredentials;
  insecure?: boolean;
  allowLatest?: boolean;
  timeoutMs?: number;
  onProgress?: (progress: Progress) => void;
}

export interface PullOptions extends RegistryOptions {
  /** Refuse unless the manifest has this digest. */
  expectDigest?: string;
  trustedIssuers?: string[];
  /** Default: defaultCacheDir(). */
  cacheDir?: string;
}

export interface PulledActor {
  reference: string;
  /** Digest of the manifest: what `--digest` and `…@sha256:` name. */
  digest: string;
  layerDigest: string;
  bytes: Uint8Array;
  claims: ActorClaims;
  /** Served from the disk cache without asking the registry (a reference pinned by digest). */
  fromCache: boolean;
}

export interface PushedActor {
  reference: string;
  digest: string;
  layerDigest: string;
  size: number;
  claims: ActorClaims;
}

/**
 * Settings a host (or any command without registry flags) takes from its environment:
 * OCI_REGISTRY_USER / OCI_REGISTRY_PASSWORD (waSCC's), WACTOR_OCI_ALLOWED_INSECURE (registries
 * spoken to over plain HTTP, comma-separated), WACTOR_OCI_ALLOW_LATEST=true.
 */
export function registryOptionsFromEnv(registry: string | undefined, env: NodeJS.ProcessEnv = process.env): PullOptions {
  const credentials = credentialsFrom(undefined, undefined, env);
  const insecure = (env.WACTOR_OCI_ALLOWED_INSECURE ?? "")
    .split(",")
    .map((s) => s.trim())
    .includes(registry ?? "\u0000");
  return { ...(credentials && { credentials }), insecure, allowLatest: env.WACTOR_OCI_ALLOW_LATEST === "true" };
}

/** Pulls an actor; a reference pinned by digest is read from the cache when it is there. */
export async function pullActor(text: string, options: PullOptions = {}): Promise<PulledActor> {
  const { ref, fetched } = await fetchPinned(text, options);
  return verifiedActor(ref, fetched, options);
}

/** The fetched artifact as a verified actor (signature, hash, dates, trusted issuers). */
export async function verifiedActor(ref: OciReference, fetched: Fetched, options: Pick<PullOptions, "trustedIssuers">): Promise<PulledActor> {
  const where = formatReference(ref);
  if (fetched.kind !== "actor")
    throw new WactorError(
      "WACTOR_ERR_OCI_NOT_WASM",
      `${where} is a bundle, not an actor: pull it with \`wactor reg pull\` or serve it from a host manifest's bundles`,
    );
  const { claims } = await assertValidModule(fetched.bytes, { ...(options.trustedIssuers && { trustedIssuers: options.trustedIssuers }) });
  const { kind: _kind, ...rest } = fetched;
  return { reference: where, ...rest, claims };
}

/** Verifies the module's claims, then pushes config, module and manifest under the reference's tag. */
export async function pushActor(text: string, bytes: Uint8Array, fileName: string, options: RegistryOptions = {}): Promise<PushedActor> {
  const ref = parseReference(text, { allowLatest: options.allowLatest ?? false });
  if (ref.digest !== undefined) throw new WactorError("WACTOR_ERR_OCI_REFERENCE", `'${text}': a push names a tag; the digest is computed from what is pushed`);
  const { claims } = await assertValidModule(bytes);
  const artifact = buildArtifact(bytes, claims, fileName);
  const digest = await pushArtifact(ref, bytes, artifact, options);
  return { reference: formatReference(ref), digest, layerDigest: artifact.layer.digest, size: bytes.byteLength, claims };
}

/** Config, layer and manifest, in that order (a registry refuses a manifest naming blobs it lacks); the manifest's digest. */
export async function pushArtifact(ref: OciReference, bytes: Uint8Array, artifact: BuiltArtifact, options: RegistryOptions): Promise<string> {
  const client = new RegistryClient(ref, options);
  await client.pushBlob(artifact.config);
  await client.pushBlob(bytes, artifact.layer.digest);
  return client.putManifest(manifestReference(ref), artifact.manifest, OCI_MANIFEST_TYPE);
}

/** A pull configured from the environment: how hosts, `call`, `ctl` and `app` pull by reference; logged when a logger is given. */
export async function pullActorFromEnv(text: string, extra: Pick<PullOptions, "trustedIssuers"> = {}, logger?: Logger): Promise<PulledActor> {
  const pulled = await pullActor(text, { ...registryOptionsFromEnv(tryParseReference(text)?.registry), ...extra });
  logger?.info({ ref: text, digest: pulled.digest, fromCache: pulled.fromCache, actor: pulled.claims.subject }, `pulled ${text}`);
  return pulled;
}
