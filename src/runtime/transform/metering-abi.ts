/**
 * What the metering transform adds to a module and the runtime relies on: kept apart from
 * the transform itself, so that running guests never loads Binaryen (megabytes of code).
 */
import type { GuestKind } from "../guest-kind.js";

/** Bumped whenever the output of the transform changes: cached results are keyed by it. */
export const TRANSFORM_VERSION = 4;

/** The exported fuel counter, decremented on loop back edges (headers, with asyncify) and at recursive function entries. */
export const FUEL_GLOBAL = "__wactor_fuel";

/**
 * Loop turns (or recursive calls) between two looks at the clock: 5-50 µs of typical guest
 * work, so a slice ends within about that of its time; a look costs ~0.1 µs.
 */
export const FUEL_PER_TICK = 5_000;

/** The import a guest calls when its fuel runs out. */
export const TICK_MODULE = "wactor";
export const TICK_NAME = "tick";

/**
 * JSPI only: the exported flag the host raises when an import must suspend, and the one
 * `WebAssembly.Suspending` import the guest then calls (`wactor.wait`, returning the value
 * the suspended import answers with once resumed).
 */
export const SUSPEND_FLAG = "__wactor_suspend";
export const WAIT_NAME = "wait";

/**
 * JSPI only: the serve loop an instance runs its operations in (instrument.ts), its
 * Suspending import (waits for the next operation) and the two that pass its arguments and value.
 */
export const SERVE_EXPORT = "__wactor_serve";
export const NEXT_NAME = "next";
export const ARG_NAME = "arg";
export const DONE_NAME = "done";

/** Bumped whenever the JSPI output changes (its cache entries are keyed apart from asyncify's). */
export const JSPI_TRANSFORM_VERSION = 4;

/**
 * The imports that may suspend, per kind of module: those that wait for a provider. A waPC
 * actor has one; a runnable's are the Reactr imports that reach a capability (each also
 * imported as its `_swift` twin). The tick is added to both.
 */
const RUNNABLE_ASYNC = ["fetch_url", "graphql_query", "cache_get", "cache_set", "get_static_file", "db_exec", "log_msg"];
export const ASYNC_IMPORTS: Readonly<Record<GuestKind, readonly string[]>> = {
  wapc: ["wapc.__host_call"],
  runnable: RUNNABLE_ASYNC.flatMap((name) => [`env.${name}`, `env.${name}_swift`]),
};
