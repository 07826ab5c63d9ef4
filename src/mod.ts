/** wactor's public programmatic API: a thin face over the internals. */
export * from "./claims/mod.js";
export { ERROR_CATALOG, WactorError, isWactorError } from "./errors.js";
export type { ErrorCode } from "./errors.js";
export { WACTOR_VERSION } from "./version.js";
export { Host, ACTOR_DEFAULTS } from "./host/host.js";
export type { ActorInfo, ActorOptions, HostOptions } from "./host/host.js";
export type { CapabilityProvider, ProviderCall, ProviderContext, ActorIdentity, BindingStatus } from "./provider/contract.js";
export { DEFAULT_BINDING, normalizeBinding } from "./provider/contract.js";
export type { LifecycleState } from "./host/lifecycle.js";
export { WapcGuest, GuestTrap } from "./runtime/wapc-guest.js";
export type { SyncHostCall, HostCallResult } from "./runtime/wapc-guest.js";
export type { CallOrigin, RemoteRouter } from "./host/host.js";
export * from "./lattice/mod.js";
export * from "./oci/mod.js";
export * from "./tracing/mod.js";
export { DirectoryStaticFiles, normalizeStaticName } from "./host/static-files.js";
export type { StaticFiles } from "./host/static-files.js";
export { moduleKind } from "./runtime/compile-actor.js";
