/**
 * The JSPI instrumentation (jspi-rewrite.ts), validated and reported the way instrument.ts
 * reports Binaryen's: fast enough (about a millisecond for a 22 KiB AssemblyScript actor) to
 * run on the host thread for small modules, and without Binaryen, so the host never loads it.
 */
import { WactorError } from "../../errors.js";
import type { GuestKind } from "../guest-kind.js";
import type { InstrumentResult } from "./instrument.js";
import { rewriteForJspi } from "./jspi-rewrite.js";

export function instrumentJspi(input: Uint8Array, kind: GuestKind): InstrumentResult {
  const started = performance.now();
  try {
    const { bytes, loops, recursiveFunctions } = rewriteForJspi(input, kind);
    if (!WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>)) throw new Error("the instrumented module does not validate");
    return { bytes, report: { loops, recursiveFunctions, inputBytes: input.length, outputBytes: bytes.length, ms: performance.now() - started } };
  } catch (err) {
    // Whatever went wrong (the module compiled already), the answer is "cannot be metered":
    // an actor then runs on a thread, a runnable does not start.
    if (err instanceof WactorError && err.code === "WACTOR_ERR_UNSUPPORTED_MODULE") throw err;
    throw new WactorError("WACTOR_ERR_UNSUPPORTED_MODULE", `metering instrumentation failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}
