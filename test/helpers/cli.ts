import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The real `wactor` binary, for tests that drive a long-running command themselves. */
export const BIN = fileURLToPath(new URL("../../bin/wactor.js", import.meta.url));

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real `wactor` binary (compiled by `npm run build`, which `pretest` runs). */
export function wactor(args: string[], options: { cwd?: string } = {}): CliResult {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", cwd: options.cwd, timeout: 20_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * `wactor` without blocking the test's event loop, for when this process must keep serving
 * (in-process hosts answering the CLI over NATS). Killed after `timeoutMs` (status null then);
 * `onStderr` sees stderr as it grows, to wait for a long-running command to be ready.
 */
export function wactorAsync(args: string[], options: { cwd?: string; timeoutMs?: number; onStderr?: (stderrSoFar: string) => void } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
      options.onStderr?.(stderr);
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 20_000);
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ status: code, stdout, stderr });
    });
  });
}
