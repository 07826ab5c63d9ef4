import { toWactorError } from "../errors.js";

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function warn(message: string): void {
  process.stderr.write(`warning: ${message}\n`);
}

/**
 * Prints an error as `error[CODE]: message` and sets a failing exit code. Only an unexpected
 * error (WACTOR_ERR_INTERNAL, a bug) is followed by its stack, on stderr, for the report.
 */
export function reportError(err: unknown, json = false): void {
  const error = toWactorError(err);
  if (json) printJson({ error: error.toJSON() });
  else process.stderr.write(`error[${error.code}]: ${error.message}\n`);
  if (error.code === "WACTOR_ERR_INTERNAL") process.stderr.write(`${stackOf(error.cause)}\n`);
  process.exitCode = 1;
}

function stackOf(cause: unknown): string {
  return cause instanceof Error && cause.stack ? cause.stack : String(cause);
}

export function formatTime(seconds: number | undefined): string {
  return seconds === undefined ? "-" : `${new Date(seconds * 1000).toISOString()} (${seconds})`;
}
