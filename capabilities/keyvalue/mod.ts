export { KeyValueProvider, type KeyValueProviderOptions } from "./provider.js";
export { MemoryStore } from "./memory-store.js";
export { RedisStore, validateRedisUrl, type RedisStoreOptions } from "./redis-store.js";
export type { KeyValueStore } from "./store.js";
