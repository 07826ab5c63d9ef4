import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const BIN = fileURLToPath(new URL("../../bin/wactor.js", import.meta.url));

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
