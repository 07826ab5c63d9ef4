/** wactor's public programmatic API: a thin face over the internals. */
export * from "./claims/mod.js";
export { ERROR_CATALOG, WactorError, isWactorError } from "./errors.js";
export type { ErrorCode } from "./errors.js";
export { WACTOR_VERSION } from "./version.js";
