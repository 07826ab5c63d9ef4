export { HttpClientProvider, type HttpClientProviderOptions } from "./provider.js";
export { DEFAULT_MAX_REDIRECTS, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT_MS, parseConfig, type HttpClientConfig } from "./policy.js";
export { isPrivateAddress } from "./addresses.js";
export type { Resolve, ResolvedAddress } from "./connector.js";
