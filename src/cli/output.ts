import { WactorError, isWactorError } from "../errors.js";

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function warn(message: string): void {
  process.stderr.write(`warning: ${message}\n`);
}

/** Prints an error as `error[CODE]: message` (no stack trace) and sets a failing exit code. */
export function reportError(err: unknown, json = false): void {
  const error = isWactorError(err) ? err : new WactorError("WACTOR_ERR_BAD_ARGUMENT", err instanceof Error ? err.message : String(err));
  if (json) printJson({ error: error.toJSON() });
  else process.stderr.write(`error[${error.code}]: ${error.message}\n`);
  process.exitCode = 1;
}

export function formatTime(seconds: number | undefined): string {
  return seconds === undefined ? "-" : `${new Date(seconds * 1000).toISOString()} (${seconds})`;
}
