/**
 * The asyncify fallback (engines without JSPI: Node 20-24) keeps every guarantee the JSPI path
 * gives (docs/runtime.md): metered-runtime.test.ts (hostile guests, deadlines, memory
 * ceilings, traps, suspensions) and runnable-runtime.test.ts, with the fallback forced.
 */
process.env.WACTOR_SUSPENSION = "asyncify";
await import("./metered-runtime.test.js");
await import("./runnable-runtime.test.js");
