export { BlobstoreProvider, DEFAULT_CHUNK_SIZE, DEFAULT_MAX_BYTES, type BlobstoreProviderOptions } from "./provider.js";
export { BlobRoot, STAGING_DIR, checkId } from "./paths.js";
