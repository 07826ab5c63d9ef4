/**
 * What the metering transform adds to a module and the runtime relies on: kept apart from
 * the transform itself, so that running guests never loads Binaryen (megabytes of code).
 */

/** Bumped whenever the output of the transform changes: cached results are keyed by it. */
export const TRANSFORM_VERSION = 3;

/** The exported fuel counter, decremented at loop headers and recursive function entries. */
export const FUEL_GLOBAL = "__wactor_fuel";

/**
 * Loop turns (or recursive calls) between two looks at the clock: 5-50 µs of typical guest
 * work, so a slice ends within about that of its time; a look costs ~0.1 µs.
 */
export const FUEL_PER_TICK = 5_000;

/** The import a guest calls when its fuel runs out. */
export const TICK_MODULE = "wactor";
export const TICK_NAME = "tick";
