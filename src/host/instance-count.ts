/**
 * The one rule for an actor's instance count, wherever it comes from (manifests, `ctl`, the
 * dashboard, control requests from other hosts): an integer from 1 to MAX_INSTANCES.
 * 256 worker threads per actor is far beyond what a host serves well; more is a typo.
 */
import { WactorError } from "../errors.js";

export const MAX_INSTANCES = 256;

/** A number, or a decimal string (CLI flags, form fields), checked; anything else is WACTOR_ERR_BAD_ARGUMENT naming `what`. */
export function checkInstances(value: unknown, what = "instances"): number {
  const n = typeof value === "string" && /^\d{1,9}$/.test(value.trim()) ? Number(value.trim()) : value;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > MAX_INSTANCES) {
    throw new WactorError("WACTOR_ERR_BAD_ARGUMENT", `${what} '${String(value)}' must be an integer from 1 to ${MAX_INSTANCES}`);
  }
  return n;
}
