/**
 * The built-in capability providers. Each implements the host's CapabilityProvider
 * interface (src/provider/contract.ts); `createBuiltinProvider` maps a waSCC capability id to one.
 */
import { CAP_BLOBSTORE, CAP_EVENTSTREAMS, CAP_EXTRAS, CAP_HTTP_CLIENT, CAP_HTTP_SERVER, CAP_KEYVALUE, CAP_LOGGING, CAP_MESSAGING } from "../src/codec/mod.js";
import { WactorError } from "../src/errors.js";
import type { CapabilityProvider } from "../src/provider/contract.js";
import { BlobstoreProvider } from "./blobstore/mod.js";
import { EventStreamsProvider } from "./eventstreams/mod.js";
import { ExtrasProvider } from "./extras/mod.js";
import { HttpClientProvider } from "./http-client/mod.js";
import { HttpServerProvider } from "./http-server/mod.js";
import { KeyValueProvider } from "./keyvalue/mod.js";
import { LoggingProvider } from "./logging/mod.js";
import { MessagingProvider } from "./messaging/mod.js";

export * from "./blobstore/mod.js";
export * from "./eventstreams/mod.js";
export * from "./extras/mod.js";
export * from "./http-client/mod.js";
export * from "./http-server/mod.js";
export * from "./keyvalue/mod.js";
export * from "./logging/mod.js";
export * from "./messaging/mod.js";

export interface BuiltinProviderOptions {
  /** Provider instance name; defaults to the provider's kind (e.g. `keyvalue`). */
  name?: string;
}

const FACTORIES: Readonly<Record<string, (options: BuiltinProviderOptions) => CapabilityProvider>> = {
  [CAP_HTTP_SERVER]: (o) => new HttpServerProvider(o),
  [CAP_KEYVALUE]: (o) => new KeyValueProvider(o),
  [CAP_MESSAGING]: (o) => new MessagingProvider(o),
  [CAP_LOGGING]: (o) => new LoggingProvider(o),
  [CAP_EXTRAS]: (o) => new ExtrasProvider(o),
  [CAP_BLOBSTORE]: (o) => new BlobstoreProvider(o),
  [CAP_EVENTSTREAMS]: (o) => new EventStreamsProvider(o),
  [CAP_HTTP_CLIENT]: (o) => new HttpClientProvider(o),
};

/** Capability ids wactor has a built-in provider for. */
export const BUILTIN_CAPABILITIES: readonly string[] = Object.keys(FACTORIES);

export function isBuiltinCapability(capabilityId: string): boolean {
  return Object.hasOwn(FACTORIES, capabilityId);
}

/** A new, not yet started provider for a built-in capability id; WACTOR_ERR_NO_PROVIDER otherwise. */
export function createBuiltinProvider(capabilityId: string, options: BuiltinProviderOptions = {}): CapabilityProvider {
  const factory = Object.hasOwn(FACTORIES, capabilityId) ? FACTORIES[capabilityId] : undefined;
  if (!factory) throw new WactorError("WACTOR_ERR_NO_PROVIDER", `no built-in provider for '${capabilityId}' (built in: ${BUILTIN_CAPABILITIES.join(", ")})`);
  return factory(options);
}
