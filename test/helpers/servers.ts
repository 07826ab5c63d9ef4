/** Moved to scripts/lib (shared with the benchmarks, e.g. the chaos run); re-exported for the tests. */
export * from "../../scripts/lib/servers.js";
