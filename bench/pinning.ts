/**
 * Server and load generator on CPUs of their own: this process (every thread of it: V8's
 * compiler and collector threads with the event loop) on CPU 0, autocannon on CPU 1.
 * Unpinned, the same server on this 2-vCPU VM reads in two modes some seconds apart (the
 * no-isolation limit of the Rust echo at 23.3 or 26 µs of CPU per request, run to run), and
 * a compute-bound guest called in a loop sometimes runs twice as slow for seconds; pinned,
 * neither happens (docs/runtime.md, "Issue 27's echo rows pinned"). Linux's `taskset` does it; where it
 * is missing or there is one CPU, nothing is pinned and the rows say so.
 */
import { execFileSync } from "node:child_process";
import { availableParallelism } from "node:os";

/** This process's CPU list as it started ("0-1"), given back after each pinned measure; undefined: no pinning here. */
const STARTED_ON = ((): string | undefined => {
  if (process.platform !== "linux" || availableParallelism() < 2) return undefined;
  try {
    // "pid 123's current affinity list: 0,1"
    return execFileSync("taskset", ["-c", "-p", String(process.pid)], { encoding: "utf8" })
      .trim()
      .split(": ")
      .pop();
  } catch {
    return undefined;
  }
})();

/** The command line that runs `argv` on the load generator's CPU (as it is when nothing is pinned). */
export function onLoadCpu(argv: string[], pinned: boolean): [string, string[]] {
  return pinned ? ["taskset", ["-c", "1", ...argv]] : [argv[0]!, argv.slice(1)];
}

/** Runs `measure` with this process on CPU 0 (true passed when it is), then gives it every CPU back. */
export async function withServerPinned<T>(measure: (pinned: boolean) => Promise<T>): Promise<T> {
  if (STARTED_ON === undefined) return measure(false);
  execFileSync("taskset", ["-a", "-p", "-c", "0", String(process.pid)], { stdio: "ignore" });
  try {
    return await measure(true);
  } finally {
    // Not availableParallelism(): pinned, it counts one CPU.
    execFileSync("taskset", ["-a", "-p", "-c", STARTED_ON, String(process.pid)], { stdio: "ignore" });
  }
}
