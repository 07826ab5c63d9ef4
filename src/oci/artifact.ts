/**
 * What an actor looks like in a registry: an OCI image manifest with the wasm-to-oci media
 * types waSCC's client used (config `application/vnd.wasm.config.v1+json`, one layer
 * `application/vnd.wasm.content.layer.v1+wasm`), annotated with the actor's claims. Pulling
 * also accepts wasmCloud's layer type. A signed bundle is the same manifest shape with
 * wactor's own types (bundle-artifact.ts); `artifactLayerOf` tells the two apart.
 */
import { z } from "zod";
import type { ActorClaims } from "../claims/types.js";
import { WactorError } from "../errors.js";
import { sha256Digest } from "./client.js";
import { DIGEST } from "./reference.js";

export const OCI_MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json";
export const WASM_CONFIG_TYPE = "application/vnd.wasm.config.v1+json";
export const WASM_LAYER_TYPE = "application/vnd.wasm.content.layer.v1+wasm";
/** wasmCloud's (`wash push`) layer type. */
export const WASMCLOUD_LAYER_TYPE = "application/vnd.module.wasm.content.layer.v1+wasm";
export const WASM_LAYER_TYPES: readonly string[] = [WASM_LAYER_TYPE, WASMCLOUD_LAYER_TYPE];
/** A signed `.wasm.zip` bundle: Atmo published no registry format, so wactor names its own. */
export const BUNDLE_CONFIG_TYPE = "application/vnd.wactor.bundle.config.v1+json";
export const BUNDLE_LAYER_TYPE = "application/vnd.wactor.bundle.layer.v1+zip";

export type ArtifactKind = "actor" | "bundle";

export const ANNOTATION = {
  title: "org.opencontainers.image.title",
  version: "org.opencontainers.image.version",
  module: "dev.wactor.actor.module",
  name: "dev.wactor.actor.name",
  capabilities: "dev.wactor.actor.capabilities",
  issuer: "dev.wactor.actor.issuer",
} as const;

const descriptor = z.object({
  mediaType: z.string(),
  digest: z.string().regex(DIGEST, "expected sha256:<64 hex>"),
  size: z.number().int().nonnegative(),
  annotations: z.record(z.string(), z.string()).optional(),
});
export type Descriptor = z.infer<typeof descriptor>;

const imageManifest = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  config: descriptor,
  layers: z.array(descriptor),
  annotations: z.record(z.string(), z.string()).optional(),
});
export type ImageManifest = z.infer<typeof imageManifest>;

export interface BuiltArtifact {
  config: Uint8Array;
  layer: Descriptor;
  manifest: Uint8Array;
}

/** Config (`{}`), one layer holding `bytes` and the manifest naming them; deterministic for given bytes. */
export function singleLayerArtifact(
  bytes: Uint8Array,
  types: { config: string; layer: string },
  fileName: string,
  annotations: Record<string, string>,
): BuiltArtifact {
  const config = new TextEncoder().encode("{}");
  const layer: Descriptor = { mediaType: types.layer, digest: sha256Digest(bytes), size: bytes.byteLength, annotations: { [ANNOTATION.title]: fileName } };
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST_TYPE,
    config: { mediaType: types.config, digest: sha256Digest(config), size: config.byteLength },
    layers: [layer],
    annotations,
  };
  return { config, layer, manifest: new TextEncoder().encode(JSON.stringify(manifest)) };
}

/** Config, layer descriptor and manifest for a signed module, deterministic for given bytes. */
export function buildArtifact(module: Uint8Array, claims: ActorClaims, fileName: string): BuiltArtifact {
  return singleLayerArtifact(module, { config: WASM_CONFIG_TYPE, layer: WASM_LAYER_TYPE }, fileName, {
    [ANNOTATION.module]: claims.subject,
    [ANNOTATION.issuer]: claims.issuer,
    [ANNOTATION.capabilities]: claims.caps.join(","),
    ...(claims.name !== undefined && { [ANNOTATION.name]: claims.name }),
    ...(claims.ver !== undefined && { [ANNOTATION.version]: claims.ver }),
  });
}

/** Parses a pulled manifest and picks its one wasm or bundle layer; anything else is refused. */
export function artifactLayerOf(manifestBytes: Uint8Array, where: string): { manifest: ImageManifest; layer: Descriptor; kind: ArtifactKind } {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(manifestBytes));
  } catch {
    throw new WactorError("WACTOR_ERR_REGISTRY", `${where}: the manifest is not JSON`);
  }
  const parsed = imageManifest.safeParse(json);
  if (!parsed.success)
    throw new WactorError(
      "WACTOR_ERR_OCI_NOT_WASM",
      `${where}: not an image manifest (${parsed.error.issues[0]?.path.join(".")}: ${parsed.error.issues[0]?.message})`,
    );
  const layers = parsed.data.layers.filter((l) => WASM_LAYER_TYPES.includes(l.mediaType) || l.mediaType === BUNDLE_LAYER_TYPE);
  if (layers.length !== 1) {
    const types = parsed.data.layers.map((l) => l.mediaType).join(", ") || "none";
    throw new WactorError("WACTOR_ERR_OCI_NOT_WASM", `${where}: ${layers.length} wasm or bundle layers (layer types: ${types})`);
  }
  const layer = layers[0]!;
  return { manifest: parsed.data, layer, kind: layer.mediaType === BUNDLE_LAYER_TYPE ? "bundle" : "actor" };
}

/** The wasm layer of an actor artifact; a bundle names the command that takes it. */
export function wasmLayerOf(manifestBytes: Uint8Array, where: string): { manifest: ImageManifest; layer: Descriptor } {
  const { kind, ...found } = artifactLayerOf(manifestBytes, where);
  if (kind === "bundle")
    throw new WactorError(
      "WACTOR_ERR_OCI_NOT_WASM",
      `${where} is a bundle, not an actor: pull it with \`wactor reg pull\` or serve it from a host manifest's bundles`,
    );
  return found;
}
