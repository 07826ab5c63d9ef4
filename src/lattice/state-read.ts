/**
 * Reads of lattice state (links, claims, actor bytes, the lease). An absent entry is an
 * answer (nats.js resolves null); a read that throws is a failure and says so, never
 * "absent": treating it as absent would re-create, re-elect or report "not found" wrongly.
 */
import { WactorError, isWactorError } from "../errors.js";

export async function readState<T>(what: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (isWactorError(err)) throw err;
    throw new WactorError("WACTOR_ERR_LATTICE_STATE_READ", `${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
