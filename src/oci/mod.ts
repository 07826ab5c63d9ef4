/** Signed actors and bundles in OCI registries: references, the distribution client, push and pull. */
export { parseReference, tryParseReference, isOciReference, formatReference, type OciReference } from "./reference.js";
export { RegistryClient, sha256Digest, type Progress } from "./client.js";
export { credentialsFrom, type RegistryCredentials } from "./auth.js";
export {
  WASM_CONFIG_TYPE,
  WASM_LAYER_TYPE,
  WASMCLOUD_LAYER_TYPE,
  BUNDLE_CONFIG_TYPE,
  BUNDLE_LAYER_TYPE,
  buildArtifact,
  wasmLayerOf,
  artifactLayerOf,
} from "./artifact.js";
export { pushBundle, pullBundle, pullArtifact, buildBundleArtifact, type PushedBundle, type PulledBundle, type PulledArtifact } from "./bundles.js";
export { DigestCache, defaultCacheDir } from "./cache.js";
export {
  pullActor,
  pushActor,
  pullActorFromEnv,
  registryOptionsFromEnv,
  type PullOptions,
  type PulledActor,
  type PushedActor,
  type RegistryOptions,
} from "./registry.js";
