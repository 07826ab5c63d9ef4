import { isWactorError } from "../../src/errors.js";

/** The catalog code a promise rejects with, "resolved" when it does not, or what else it threw. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "resolved";
  } catch (err) {
    return isWactorError(err) ? err.code : `not a WactorError: ${String(err)}`;
  }
}
