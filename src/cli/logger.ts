import { pino, type Logger } from "pino";
import pretty from "pino-pretty";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/**
 * Logs on stderr, so stdout stays for the command's own output: readable in a terminal, JSON
 * otherwise. `mixin` adds fields to every line (the trace and span ids while tracing).
 */
export function cliLogger(level: string, mixin?: () => object): Logger {
  const options = { level, base: { pid: process.pid }, ...(mixin && { mixin }) };
  if (process.stderr.isTTY && !process.env.WACTOR_LOG_JSON) {
    return pino(options, pretty({ destination: 2, sync: true, colorize: true, ignore: "pid,hostname", translateTime: "HH:MM:ss.l" }));
  }
  return pino(options, pino.destination({ fd: 2, sync: true }));
}
