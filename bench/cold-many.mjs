// Child process of bench/cold-start.ts: starts every signed module in the directory given
// (each a distinct code hash) in one host with an empty transform cache, asks each for its
// health, and prints the time and the process's memory as JSON. A process of its own, so its
// RSS is the actors' and the runtime's, not the garbage of signing them.
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { Host } from "../dist/src/mod.js";

const dir = process.argv[2];
const modules = readdirSync(dir)
  .sort()
  .map((f) => new Uint8Array(readFileSync(join(dir, f))));
const host = new Host({ logger: pino({ level: "silent" }), cacheDir: mkdtempSync(join(tmpdir(), "wactor-cold-")) });
globalThis.gc?.();
const rssBefore = process.memoryUsage().rss;
const started = performance.now();
for (const bytes of modules) await host.startActor(bytes, { instances: 1 });
const seconds = (performance.now() - started) / 1000;
const health = await Promise.all(host.listActors().map((a) => host.invoke(a.key, "HealthRequest", new Uint8Array())));
if (health.some((r) => r.length !== 0)) throw new Error("an actor did not answer its health check");
globalThis.gc?.();
const { rss, heapUsed, external } = process.memoryUsage();
await host.shutdown();
process.stdout.write(JSON.stringify({ actors: modules.length, seconds, rssBefore, rss, heapUsed, external }) + "\n");
