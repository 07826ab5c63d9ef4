/** Runs `wactor up` as a real child process and waits for its ready summary. */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const BIN = fileURLToPath(new URL("../../bin/wactor.js", import.meta.url));

export interface UpProcess {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
}

export function startUp(args: string[], env?: NodeJS.ProcessEnv): UpProcess {
  const child = spawn(process.execPath, [BIN, "up", ...args], { stdio: ["ignore", "pipe", "pipe"], ...(env && { env }) });
  let out = "";
  let err = "";
  child.stdout!.on("data", (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Waits until stdout contains `text` (or the process exits, or 20 s pass). */
export async function waitForOutput(up: UpProcess, text: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!up.stdout().includes(text)) {
    if (up.child.exitCode !== null) throw new Error(`wactor up exited (${up.child.exitCode}) before printing '${text}':\n${up.stderr()}`);
    if (Date.now() > deadline) throw new Error(`wactor up did not print '${text}' within ${timeoutMs} ms:\n${up.stdout()}\n${up.stderr()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function stopUp(up: UpProcess): Promise<number | null> {
  if (up.child.exitCode === null) up.child.kill("SIGTERM");
  return up.exited;
}
