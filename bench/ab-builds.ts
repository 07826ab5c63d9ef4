/**
 * Two builds of wactor side by side (say, before and after a change): each checkout's host
 * serves the same actor over HTTP in its own process, autocannon loads them in turn, rounds
 * interleaved, and each server's CPU per request comes from /proc. Two builds cannot share a
 * process, so this is not part of `npm run bench`:
 *   node --import tsx bench/ab-builds.ts <checkout A> <checkout B> [echo|echo-rs|kvcounter|visits] [rounds]
 * Both checkouts must be built (`npm ci`).
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { freePort, startRedis } from "../scripts/lib/servers.js";

const run = promisify(execFile);
const AUTOCANNON = fileURLToPath(new URL("../node_modules/autocannon/autocannon.js", import.meta.url));
const SERVER = fileURLToPath(new URL("./ab-server.mjs", import.meta.url));
const [a, b, name = "echo", roundsArg = "9"] = process.argv.slice(2);
if (!a || !b) throw new Error("usage: ab-builds.ts <checkout A> <checkout B> [echo|echo-rs|kvcounter|visits] [rounds]");
const paths: Record<string, string> = { echo: "/bench", "echo-rs": "/bench", kvcounter: "/counter", visits: "/visits" };

/** User + system CPU time of a process, in µs (clock ticks of 10 ms). */
const cpuUs = (pid: number): number => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
};
const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;

const redis = paths[name] === "/bench" ? undefined : await startRedis();
const servers: Array<{ root: string; proc: ChildProcess; port: number; rps: number[]; cpu: number[] }> = [];
const caches: string[] = [];
try {
  for (const root of [a, b]) {
    const port = await freePort();
    // A transform cache of its own per checkout: two builds whose transforms differ may share a version tag.
    const cacheDir = join(tmpdir(), `wactor-ab-cache-${servers.length}-${process.pid}`);
    caches.push(cacheDir);
    const env = { ...process.env, WACTOR_CACHE_DIR: cacheDir };
    const proc = spawn(process.execPath, [SERVER, root, name, String(port), ...(redis ? [redis.url] : [])], { env, stdio: ["ignore", "pipe", "inherit"] });
    await new Promise<void>((resolve, reject) => {
      proc.stdout!.once("data", () => resolve());
      proc.once("exit", (code) => reject(new Error(`the server of ${root} exited (${code})`)));
    });
    servers.push({ root, proc, port, rps: [], cpu: [] });
  }
  const rounds = Number(roundsArg);
  for (let round = 0; round < rounds; round++) {
    for (const s of round % 2 === 0 ? servers : [...servers].reverse()) {
      const before = cpuUs(s.proc.pid!);
      const { stdout } = await run(process.execPath, [AUTOCANNON, "-c", "50", "-d", "3", "--json", `http://127.0.0.1:${s.port}${paths[name]}`], {
        maxBuffer: 1 << 26,
      });
      const r = JSON.parse(stdout) as { requests: { average: number; total: number } };
      s.rps.push(r.requests.average);
      s.cpu.push((cpuUs(s.proc.pid!) - before) / r.requests.total);
    }
  }
  for (const s of servers)
    console.log(
      `${s.root}: req/s median ${Math.round(median(s.rps))}, CPU µs per request median ${median(s.cpu).toFixed(1)} (${s.cpu.map((c) => c.toFixed(1)).join(" ")})`,
    );
  const [x, y] = servers as [(typeof servers)[0], (typeof servers)[0]];
  console.log(`B / A: req/s ${(median(y.rps) / median(x.rps)).toFixed(3)}, CPU per request (A / B, as req/s) ${(median(x.cpu) / median(y.cpu)).toFixed(3)}`);
} finally {
  for (const s of servers) s.proc.kill();
  await redis?.stop();
  for (const dir of caches) rmSync(dir, { recursive: true, force: true });
}
