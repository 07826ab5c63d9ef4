/**
 * Fetching an artifact (actor or bundle) by reference: a reference pinned by digest is read
 * from the disk cache when it is there, anything else from the registry, whose answers are
 * checked against the digests they should have. What the bytes are is checked by the caller.
 */
import { WactorError } from "../errors.js";
import { artifactLayerOf, type ArtifactKind } from "./artifact.js";
import { DigestCache, defaultCacheDir } from "./cache.js";
import { RegistryClient, type ClientOptions } from "./client.js";
import { DIGEST, formatReference, manifestReference, parseReference, type OciReference } from "./reference.js";

export interface FetchOptions extends ClientOptions {
  allowLatest?: boolean;
  /** Refuse unless the manifest has this digest. */
  expectDigest?: string;
  /** Default: defaultCacheDir(). */
  cacheDir?: string;
}

export interface Fetched {
  kind: ArtifactKind;
  /** Digest of the manifest: what `--digest` and `…@sha256:` name. */
  digest: string;
  layerDigest: string;
  bytes: Uint8Array;
  /** Served from the disk cache without asking the registry (a reference pinned by digest). */
  fromCache: boolean;
}

/** The artifact a reference names, with every digest the reference or the caller pins checked. */
export async function fetchPinned(text: string, options: FetchOptions): Promise<{ ref: OciReference; fetched: Fetched }> {
  const ref = parseReference(text, { allowLatest: options.allowLatest ?? false });
  const expected = options.expectDigest;
  if (expected !== undefined && !DIGEST.test(expected)) throw new WactorError("WACTOR_ERR_BAD_ARGUMENT", `--digest '${expected}' is not sha256:<64 hex>`);
  if (expected !== undefined && ref.digest !== undefined && expected !== ref.digest) {
    throw new WactorError("WACTOR_ERR_DIGEST_MISMATCH", `${text} is pinned to ${ref.digest}, not ${expected}`);
  }
  const cache = new DigestCache(options.cacheDir ?? defaultCacheDir());
  const fetched = (ref.digest !== undefined && (await fromCache(cache, ref.digest, text))) || (await fromRegistry(ref, cache, options));
  if (expected !== undefined && fetched.digest !== expected) {
    throw new WactorError("WACTOR_ERR_DIGEST_MISMATCH", `${text} resolves to manifest ${fetched.digest}, not ${expected}`);
  }
  return { ref, fetched };
}

async function fromCache(cache: DigestCache, digest: string, where: string): Promise<Fetched | undefined> {
  const manifest = await cache.get(digest);
  if (!manifest) return undefined;
  const { layer, kind } = artifactLayerOf(manifest, where);
  const bytes = await cache.get(layer.digest);
  return bytes ? { kind, digest, layerDigest: layer.digest, bytes, fromCache: true } : undefined;
}

async function fromRegistry(ref: OciReference, cache: DigestCache, options: ClientOptions): Promise<Fetched> {
  const client = new RegistryClient(ref, options);
  const where = formatReference(ref);
  const manifest = await client.getManifest(manifestReference(ref));
  // The registry is not trusted to serve what a digest names.
  if (ref.digest !== undefined && manifest.digest !== ref.digest)
    throw new WactorError("WACTOR_ERR_DIGEST_MISMATCH", `${where}: the registry served manifest ${manifest.digest}`);
  const { layer, kind } = artifactLayerOf(manifest.bytes, where);
  let bytes = await cache.get(layer.digest);
  if (!bytes) {
    bytes = await client.getBlob(layer.digest, layer.size);
    await cache.put(layer.digest, bytes);
  }
  await cache.put(manifest.digest, manifest.bytes);
  return { kind, digest: manifest.digest, layerDigest: layer.digest, bytes, fromCache: false };
}
