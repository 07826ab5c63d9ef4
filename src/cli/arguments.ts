/** Parsers of command-line values shared by every command; each error names the flag it came from. */
import { WactorError } from "../errors.js";

/** A decimal integer from min to max; `what` is the flag or argument named in the error. */
export function integerArgument(value: string, what: string, min: number, max: number): number {
  const n = /^\d{1,9}$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!Number.isInteger(n) || n < min || n > max)
    throw new WactorError("WACTOR_ERR_BAD_ARGUMENT", `${what} '${value}' must be an integer from ${min} to ${max}`);
  return n;
}

/** A TCP port (0 picks a free one). */
export function parsePort(value: string, flag: string): number {
  const n = /^\d{1,5}$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!Number.isInteger(n) || n > 65535) throw new WactorError("WACTOR_ERR_BAD_ARGUMENT", `${flag} '${value}' is not a port number (0 to 65535)`);
  return n;
}

/** Repeated KEY=VALUE flags as a record; a key given twice is an error, not a silent overwrite. */
export function keyValuePairs(list: string[] | undefined, flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list ?? []) {
    const eq = item.indexOf("=");
    if (eq <= 0) throw new WactorError("WACTOR_ERR_BAD_ARGUMENT", `${flag} '${item}' must be KEY=VALUE`);
    const key = item.slice(0, eq);
    if (Object.hasOwn(out, key)) throw new WactorError("WACTOR_ERR_BAD_ARGUMENT", `${flag} ${key} given twice`);
    out[key] = item.slice(eq + 1);
  }
  return out;
}
