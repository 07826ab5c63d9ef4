import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "nats";
import { encode } from "@msgpack/msgpack";
import { pino } from "pino";
import { Host, KeyPair, LatticeHost } from "../dist/src/mod.js";
import { actor } from "../test/helpers/actors.js";
import { startNats } from "../test/helpers/servers.js";
import { pipelinedRate, sequentialRate } from "../bench/stats.js";
const name = process.argv[2] ?? "echo";
const op = name === "echo" ? "HandleRequest" : "Ping";
const nats = await startNats({ jetstream: true });
const clusterSeed = KeyPair.create("cluster").seed;
const dir = mkdtempSync(join(tmpdir(), "wactor-lat-"));
const manifest = join(dir, "m.yaml");
writeFileSync(manifest, `actors:\n  - { path: ${actor(name).signedPath}, instances: 2 }\n`);
const prof = [...(process.env.PROF ? ["--cpu-prof", "--cpu-prof-dir=/tmp/prof3"] : []), ...(process.env.COUNT ? ["--require", "./.proto/count-writes.cjs"] : [])];
const proc = spawn(process.execPath, [...prof, "bin/wactor.js", "up", manifest, "--lattice", nats.url, "--cluster-seed", clusterSeed, "--log-level", "error"], { stdio: ["ignore", "pipe", "inherit"] });
await new Promise<void>((res) => { let o = ""; proc.stdout!.on("data", (c) => { o += c; if (o.includes("lattice  default")) res(); }); });
const responder = spawn(process.execPath, [...(process.env.COUNT ? ["--require", "./.proto/count-writes.cjs"] : []), "--input-type=module", "-e", `import { connect } from "nats"; const nc = await connect({ servers: "${nats.url}", noAsyncTraces: true }); nc.subscribe("bench.raw", { callback: (_e, m) => m.respond(m.data) }); await nc.flush(); console.log("ready");`], { stdio: ["ignore", "pipe", "inherit"] });
await new Promise<void>((res) => responder.stdout!.on("data", () => res()));
const host = new Host({ logger: pino({ level: "silent" }) });
const lat = await LatticeHost.join(host, { url: nats.url, clusterSeed, invocationAuth: "session", logger: pino({ level: "silent" }) });
const nc = await connect({ servers: nats.url, noAsyncTraces: true });
const key = actor(name).publicKey;
const request = name === "echo" ? encode({ method: "GET", path: "/bench", queryString: "", header: {}, body: new Uint8Array(64) }) : new TextEncoder().encode("x".repeat(64));
const call = () => lat.invoke(key, op, request);
const raw = () => nc.request("bench.raw", request, { timeout: 5000 });
for (let i = 0; i < 200; i++) { try { await call(); } catch {} await new Promise((r) => setTimeout(r, 10)); if (lat.sentCounts().session > 0) break; }
const ticks = (pid: number) => { const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" "); return (Number(f[11]) + Number(f[12])) * 10000; };
const natsPid = Number(readFileSync(`/proc/${proc.pid}/stat`, "utf8").split(" ")[3]); // unused
for (const fn of [raw, call]) await pipelinedRate(fn, 6000, 64, 3000);
for (let r = 0; r < 2; r++) {
  for (const [n, fn] of (process.env.ONLY ? [["wactor", call]] : [["raw", raw], ["wactor", call]]) as Array<[string, () => Promise<unknown>]>) {
    const b = [ticks(proc.pid!), ticks(process.pid), ticks(responder.pid!)];
    const rate = await pipelinedRate(fn, 200000, 64, Number(process.env.SECS ?? 3) * 1000);
    const a = [ticks(proc.pid!), ticks(process.pid), ticks(responder.pid!)];
    const s = process.env.ONLY ? { perSecond: 0 } : await sequentialRate(fn, 3000, 1500);
    console.log(n.padEnd(7), "64:", Math.round(rate.perSecond), "seq:", Math.round(s.perSecond), "cpu/call host", ((a[0]! - b[0]!) / rate.count).toFixed(1), "caller", ((a[1]! - b[1]!) / rate.count).toFixed(1), "responder", ((a[2]! - b[2]!) / rate.count).toFixed(1));
  }
}
await lat.leave(); await host.shutdown(); await nc.close();
proc.kill("SIGTERM"); responder.kill("SIGTERM"); await new Promise((r) => proc.once("exit", r)); await nats.stop(); process.exit(0);
