/**
 * Loggers for in-process lattice parts in tests: silent, unless WACTOR_TEST_LOG names a file
 * (debugging a flaky run), then every part appends its debug log there, tagged by `name`.
 */
import { pino, type Logger } from "pino";

let shared: Logger | undefined;

export function testLogger(name: string): Logger {
  const file = process.env.WACTOR_TEST_LOG;
  if (!file) return pino({ level: "silent" });
  shared ??= pino({ level: "debug" }, pino.destination({ dest: file, append: true, sync: true }));
  return shared.child({ part: name });
}
