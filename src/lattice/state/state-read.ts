/**
 * Reads of lattice state (links, claims, actor bytes, applications, the lease). An absent
 * entry is an answer (nats.js resolves null); a read that throws is a failure and says so,
 * never "absent": treating it as absent would re-create, re-elect or report "not found"
 * wrongly. A transient JetStream failure (see transient.ts) is retried within a budget first:
 * after a server dies, one request in a few goes unanswered for a while, and a deploy or a
 * reconciler round must not fail on one of them.
 */
import { WactorError, isWactorError } from "../../errors.js";
import { retryTransient } from "../wire/transient.js";

/** Long enough for a few attempts of a JetStream request (5 s timeout each) after a server died. */
export const READ_RETRY_MS = 12_000;

export async function readState<T>(what: string, read: () => Promise<T>, options: { retryMs?: number } = {}): Promise<T> {
  let attempts = 1;
  try {
    return await retryTransient(read, { budgetMs: options.retryMs ?? READ_RETRY_MS, onRetry: (n) => (attempts = n + 1) });
  } catch (err) {
    if (isWactorError(err)) throw err;
    const tries = attempts > 1 ? ` (after ${attempts} attempts)` : "";
    throw new WactorError("WACTOR_ERR_LATTICE_STATE_READ", `${what}: ${err instanceof Error ? err.message : String(err)}${tries}`, { cause: err });
  }
}
