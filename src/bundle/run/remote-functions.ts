/**
 * A bundle whose functions run elsewhere (on a lattice's worker hosts): this host serves the
 * routes and reaches each function by its module key through a call the lattice provides.
 *
 * A call that found no host running the function is tried again every RETRY_MS until the
 * step's own deadline (its signal) ends it. Only that refusal is retried: NATS answered "no
 * responders" before anything ran, so nothing runs twice. A request made while a dead
 * worker's functions are being placed again then waits for them instead of failing. Any
 * other failure (a trap, a deadline, a lost connection that may have carried the call out)
 * fails the step at once, as it does locally.
 */
import { WactorError, isWactorError } from "../../errors.js";
import type { LoadedBundle } from "../load.js";
import type { StartedFunction } from "./functions.js";

/** Invokes an operation on an actor wherever it runs (here or on another host). */
export type FunctionCall = (key: string, operation: string, payload: Uint8Array) => Promise<Uint8Array>;

export const RETRY_MS = 100;

/** The functions of a bundle as they run elsewhere: each under the module key its verified claims name. */
export function remoteFunctions(bundle: LoadedBundle): StartedFunction[] {
  return bundle.modules.map((m) => {
    const claims = bundle.claims.get(m.runnable.fqfn);
    if (!claims) throw new WactorError("WACTOR_ERR_BUNDLE", `${m.entry}: no verified claims for ${m.runnable.fqfn}`);
    return { fqfn: m.runnable.fqfn, key: claims.subject, caps: [...claims.caps] };
  });
}

const pause = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });

/** `call`, tried again while no host runs the function and the step has time left; `onRetry` counts the waits. */
export async function callRetrying(
  call: FunctionCall,
  key: string,
  operation: string,
  payload: Uint8Array,
  signal: AbortSignal,
  onRetry?: () => void,
): Promise<Uint8Array> {
  for (;;) {
    try {
      return await call(key, operation, payload);
    } catch (err) {
      if (!isWactorError(err, "WACTOR_ERR_LATTICE_NO_ACTOR") || signal.aborted) throw err;
      onRetry?.();
      await pause(RETRY_MS, signal);
      if (signal.aborted) throw err;
    }
  }
}
