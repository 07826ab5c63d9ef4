/**
 * Every write of lattice state (links, claims, actor bytes, applications) goes to JetStream.
 * Its failures become catalog errors, a full store apart from the rest, so a caller learns
 * that nothing was written and what to do, instead of a bare "503" from the NATS client.
 */
import { WactorError, isWactorError } from "../../errors.js";

/** JetStream's API errors for a store or server over its limits. */
const STORAGE_FULL_CODES = new Set([10023, 10047, 10028]);

interface JetStreamApiError {
  api_error?: { err_code?: number; description?: string };
}

export function stateWriteError(what: string, err: unknown): WactorError {
  if (isWactorError(err)) return err;
  const api = (err as JetStreamApiError | null)?.api_error;
  const reason = api?.description ?? (err instanceof Error ? err.message : String(err));
  const full = (api?.err_code !== undefined && STORAGE_FULL_CODES.has(api.err_code)) || /insufficient resources|maximum bytes/i.test(reason);
  return new WactorError(full ? "WACTOR_ERR_LATTICE_STORAGE_FULL" : "WACTOR_ERR_LATTICE_STATE_WRITE", `${what}: ${reason}`, { cause: err });
}

/** Runs one state write, turning its failure into a catalog error. */
export async function writeState<T>(what: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    throw stateWriteError(what, err);
  }
}
