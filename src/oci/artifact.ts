/**
 * What an actor looks like in a registry: an OCI image manifest with the wasm-to-oci media
 * types waSCC's client used (config `application/vnd.wasm.config.v1+json`, one layer
 * `application/vnd.wasm.content.layer.v1+wasm`), annotated with the actor's claims. Pulling
 * also accepts wasmCloud's layer type.
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

/** Config, layer descriptor and manifest for a signed module, deterministic for given bytes. */
export function buildArtifact(module: Uint8Array, claims: ActorClaims, fileName: string): BuiltArtifact {
  const config = new TextEncoder().encode("{}");
  const annotations: Record<string, string> = {
    [ANNOTATION.module]: claims.subject,
    [ANNOTATION.issuer]: claims.issuer,
    [ANNOTATION.capabilities]: claims.caps.join(","),
    ...(claims.name !== undefined && { [ANNOTATION.name]: claims.name }),
    ...(claims.ver !== undefined && { [ANNOTATION.version]: claims.ver }),
  };
  const layer: Descriptor = {
    mediaType: WASM_LAYER_TYPE,
    digest: sha256Digest(module),
    size: module.byteLength,
    annotations: { [ANNOTATION.title]: fileName },
  };
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST_TYPE,
    config: { mediaType: WASM_CONFIG_TYPE, digest: sha256Digest(config), size: config.byteLength },
    layers: [layer],
    annotations,
  };
  return { config, layer, manifest: new TextEncoder().encode(JSON.stringify(manifest)) };
}

/** Parses a pulled manifest and picks its wasm layer; anything else is not an actor artifact. */
export function wasmLayerOf(manifestBytes: Uint8Array, where: string): { manifest: ImageManifest; layer: Descriptor } {
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
  const layers = parsed.data.layers.filter((l) => WASM_LAYER_TYPES.includes(l.mediaType));
  if (layers.length !== 1) {
    const types = parsed.data.layers.map((l) => l.mediaType).join(", ") || "none";
    throw new WactorError("WACTOR_ERR_OCI_NOT_WASM", `${where}: ${layers.length} wasm layers (layer types: ${types})`);
  }
  return { manifest: parsed.data, layer: layers[0]! };
}
