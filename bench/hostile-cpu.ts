/**
 * The hostile bench by CPU: the healthy echo's calls per CPU second of this process, alone and
 * beside attackers, phases interleaved over rounds (a shared machine moves wall-clock rates).
 * DIST picks the build (default ../dist). Not part of `npm run bench`.
 */
import { pino } from "pino";
import { actor } from "../test/helpers/actors.js";

const dist = process.env.DIST ?? "../dist";
const { Host } = (await import(`${dist}/src/mod.js`)) as typeof import("../dist/src/mod.js");
const rounds = Number(process.env.ROUNDS ?? 3);
const ms = Number(process.env.PHASE_MS ?? 1500);
const phases = (process.env.PHASES ?? "solo,loop,all,hog,huge").split(",");

const host = new Host({ logger: pino({ level: "silent" }) });
const echo = (await host.startActor(actor("echo").signedPath)).key;
const looper = (await host.startActor(actor("looper").signedPath, { instances: 1, deadlineMs: 200 })).key;
const hog = (await host.startActor(actor("hog").signedPath, { instances: 1, maxMemoryBytes: 32 * 1024 * 1024 })).key;
const panicker = (await host.startActor(actor("panicker").signedPath, { instances: 1 })).key;
const payload = new Uint8Array(64);

let turns = 0;
/** Node 23.9+: this thread's CPU time (the type definitions do not have it yet). */
const threadCpuUsage = (since?: NodeJS.CpuUsage): NodeJS.CpuUsage =>
  (process as unknown as { threadCpuUsage(since?: NodeJS.CpuUsage): NodeJS.CpuUsage }).threadCpuUsage(since);
interface Measured {
  wall: number;
  cpu: number;
  main: number;
  turns: number;
}
async function measure(): Promise<Measured> {
  turns = 0;
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  const th0 = threadCpuUsage();
  let done = 0;
  let running = true;
  const spin = () => {
    turns++;
    if (running) setImmediate(spin);
  };
  spin();
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (performance.now() - start < ms) {
        await host.invoke(echo, "Echo", payload);
        done++;
      }
    }),
  );
  running = false;
  const c = process.cpuUsage(cpu0);
  const t = threadCpuUsage(th0);
  return { wall: done / ((performance.now() - start) / 1000), cpu: done / ((c.user + c.system) / 1e6), main: done / ((t.user + t.system) / 1e6), turns };
}

const attackersOf: Record<string, [string, string][]> = {
  solo: [],
  loop: [[looper, "Loop"]],
  all: [[looper, "Loop"], [hog, "Hog"], ...["Panic", "Abort", "Recurse", "Huge", "Flood"].map((op): [string, string] => [panicker, op])],
  hog: [[hog, "Hog"]],
  huge: [[panicker, "Huge"]],
  panic: [
    [panicker, "Panic"],
    [panicker, "Abort"],
  ],
  recurse: [[panicker, "Recurse"]],
  flood: [[panicker, "Flood"]],
};

const tallies = new Map<string, { n: number; ms: number }>();
function tally(op: string, what: string, t0: number) {
  const k = `${op}:${what}`;
  const t = tallies.get(k) ?? { n: 0, ms: 0 };
  t.n++;
  t.ms += performance.now() - t0;
  tallies.set(k, t);
}
async function phase(name: string) {
  let running = true;
  const attackers = attackersOf[name]!.map(([key, op]) =>
    (async () => {
      for (let i = 0; running && i < 100_000; i++) {
        const t0 = performance.now();
        await host.invoke(key, op, payload).then(
          () => void tally(op, "ok", t0),
          async (e: { code?: string }) => {
            tally(op, e.code ?? "err", t0);
            await new Promise((r) => setTimeout(r, 1));
          },
        );
      }
    })(),
  );
  const r = await measure();
  running = false;
  await Promise.all(attackers);
  return r;
}

await phase("solo"); // warm-up
const results: Record<string, Measured[]> = {};
for (let round = 0; round < rounds; round++) {
  for (const name of phases) (results[name] ??= []).push(await phase(name));
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const solo = results.solo ?? results[phases[0]!]!;
const line = [`dist=${dist} mode=${process.env.WACTOR_SUSPENSION ?? "default"}`];
for (const name of phases) {
  const rs = results[name]!;
  const ratio = (k: "wall" | "cpu" | "main") => rs.map((r, i) => (r[k] / solo[i]![k]).toFixed(2)).join("/");
  line.push(
    `${name}: cpu ${Math.round(med(rs.map((r) => r.cpu)))}/s main ${Math.round(med(rs.map((r) => r.main)))}/s wall ${Math.round(med(rs.map((r) => r.wall)))}/s ratio cpu ${ratio("cpu")} main ${ratio("main")} wall ${ratio("wall")} turns ${rs.map((r) => r.turns).join("/")}`,
  );
}
line.push(`event loop turns ${turns}`);
line.push([...tallies].map(([k, t]) => `${k} ${t.n} (${(t.ms / t.n).toFixed(0)} ms)`).join(", "));
console.log(line.join("\n  "));
await host.shutdown();
