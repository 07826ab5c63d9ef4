/**
 * A cross-host actor call against raw NATS request/reply of the same bytes at the same
 * concurrency, in one run, with both invocation authentications; and against the actor's
 * no-isolation limit behind NATS (the same echo module called in-thread by a plain nats.js
 * responder: what the actor's own work allows). The serving side is a separate process in
 * every case (a `wactor up --lattice` host running echo and ponger; the plain responders), the
 * calling side is this process (two lattice hosts with no actors, one sending with sessions,
 * one with a JWT per call; a plain nats.js requester).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { connect } from "nats";
import { encode } from "@msgpack/msgpack";
import { pino } from "pino";
import { Host, KeyPair, LatticeHost } from "../dist/src/mod.js";
import { actor } from "../test/helpers/actors.js";
import { startNats } from "../scripts/lib/servers.js";
import { fmt, pipelinedRate, sequentialRate } from "./stats.js";
import type { Row } from "./runtime.js";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const ROUNDS = 3;

/** CPU time (µs, user + system, all threads) of processes, from /proc; `available` false elsewhere. */
function cpuMeter(pids: number[]): { available: boolean; read: () => number[] } {
  const ticks = (pid: number): number => {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10_000; // clock ticks of 10 ms
  };
  const available = existsSync(`/proc/${process.pid}/stat`);
  return { available, read: () => (available ? pids.map(ticks) : pids.map(() => 0)) };
}

function child(args: string[], ready: string): Promise<ChildProcess> {
  const proc = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    proc.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes(ready)) resolve(proc);
    });
    proc.once("exit", (code) => reject(new Error(`child exited (${code}) before '${ready}'`)));
  });
}

async function until(check: () => boolean, maxMs: number): Promise<void> {
  const deadline = Date.now() + maxMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("the session caller never got a session route to the echo host");
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function latticeBench(): Promise<Row[]> {
  const nats = await startNats({ jetstream: true });
  const clusterSeed = KeyPair.create("cluster").seed;
  const dir = mkdtempSync(join(tmpdir(), "wactor-bench-"));
  const manifest = join(dir, "echo.yaml");
  writeFileSync(manifest, `actors:\n  - { path: ${actor("echo").signedPath}, instances: 2 }\n  - { path: ${actor("ponger").signedPath}, instances: 2 }\n`);
  const responderScript = `import { connect } from "nats"; const nc = await connect({ servers: "${nats.url}", noAsyncTraces: true }); nc.subscribe("bench.raw", { callback: (_e, m) => m.respond(m.data) }); await nc.flush(); console.log("responder ready");`;
  const children: ChildProcess[] = [];
  const hosts = [new Host({ logger: pino({ level: "silent" }) }), new Host({ logger: pino({ level: "silent" }) })];
  // The same client options as the lattice's own connections, so only wactor's work differs.
  const nc = await connect({ servers: nats.url, noAsyncTraces: true });
  const lattices: LatticeHost[] = [];
  try {
    children.push(await child(["--input-type=module", "-e", responderScript], "responder ready"));
    children.push(
      await child(
        ["--import", "tsx", "bench/nats-limit-responder.ts", nats.url, "bench.limit", actor("echo").signedPath, "HandleRequest"],
        "limit responder ready",
      ),
    );
    children.push(
      await child(
        [
          ...(process.env.WACTOR_BENCH_PROFILE ? ["--cpu-prof", "--cpu-prof-dir=/tmp/prof2"] : []),
          "bin/wactor.js",
          "up",
          manifest,
          "--lattice",
          nats.url,
          "--cluster-seed",
          clusterSeed,
          "--log-level",
          "error",
        ],
        "lattice  default",
      ),
    );
    const bySession = await LatticeHost.join(hosts[0]!, { url: nats.url, clusterSeed, invocationAuth: "session", logger: pino({ level: "silent" }) });
    lattices.push(bySession);
    const byJwt = await LatticeHost.join(hosts[1]!, { url: nats.url, clusterSeed, invocationAuth: "jwt", logger: pino({ level: "silent" }) });
    lattices.push(byJwt);
    const echo = actor("echo").publicKey;
    const request = encode({ method: "GET", path: "/bench", queryString: "", header: {}, body: new Uint8Array(64) });
    const raw = () => nc.request("bench.raw", request, { timeout: 5000 });
    const limit = () => nc.request("bench.limit", request, { timeout: 5000 });
    const session = () => bySession.invoke(echo, "HandleRequest", request);
    const jwt = () => byJwt.invoke(echo, "HandleRequest", request);
    // ponger answers "pong:" + its payload: next to no work of its own, so its rows show what the lattice adds.
    const ponger = actor("ponger").publicKey;
    const pong = () => bySession.invoke(ponger, "Ping", request);
    await until(() => {
      void session().catch(() => {});
      return bySession.sentCounts().session > 0;
    }, 10_000);
    // Warm-up at full concurrency: the serving host's first thousands of calls run slower (JIT).
    for (const fn of [raw, limit, session, jwt, pong]) await pipelinedRate(fn, 6000, 64, 3000);
    // Interleaved rounds: on a shared machine the load drifts within seconds, so each round
    // measures the three side by side and the table reports the median round with the spread.
    const cpu = cpuMeter([children[2]!.pid!, process.pid, children[1]!.pid!]);
    const rounds: Array<Record<string, number>> = [];
    for (let round = 0; round < ROUNDS; round++) {
      const r: Record<string, number> = {};
      for (const [name, fn] of [
        ["raw", raw],
        ["limit", limit],
        ["session", session],
        ["jwt", jwt],
        ["pong", pong],
      ] as const)
        r[`seq ${name}`] = (await sequentialRate(fn, 3000, 1500)).perSecond;
      for (const [name, fn] of [
        ["raw", raw],
        ["limit", limit],
        ["session", session],
        ["jwt", jwt],
        ["pong", pong],
      ] as const) {
        const before = cpu.read();
        const rate = await pipelinedRate(fn, 60_000, 64, 2500);
        const used = cpu.read().map((t, i) => (t - before[i]!) / rate.count);
        Object.assign(r, {
          [`pipe ${name}`]: rate.perSecond,
          [`cpu host ${name}`]: used[0]!,
          [`cpu caller ${name}`]: used[1]!,
          [`cpu limit ${name}`]: used[2]!,
        });
      }
      rounds.push(r);
    }
    const sent = bySession.sentCounts();
    if (sent.jwt > 0)
      process.stderr.write(`bench: the session caller sent ${sent.jwt} of ${sent.jwt + sent.session} calls with a JWT (no session route yet)\n`);
    const ratio = (mode: string, what: "seq" | "pipe", base: "raw" | "limit" = "raw"): Row => {
      const ratios = rounds.map((r) => r[`${what} ${mode}`]! / r[`${what} ${base}`]!).sort((a, b) => a - b);
      const mid = rounds.find((r) => r[`${what} ${mode}`]! / r[`${what} ${base}`]! === ratios[Math.floor(ratios.length / 2)])!;
      const label = what === "seq" ? "one at a time" : "64 in flight";
      const baseline = base === "raw" ? "raw NATS" : "the echo actor in-thread behind a plain NATS responder (its no-isolation limit)";
      const call =
        mode === "pong"
          ? "cross-host call of ponger (no work of its own), session MAC"
          : `cross-host call of echo, ${mode === "session" ? "session MAC" : "JWT per call"}`;
      return {
        what: `${label} (calls/s): ${baseline} vs ${call} (ratio: median of ${ROUNDS} rounds, [min–max])`,
        baseline: fmt(mid[`${what} ${base}`]!),
        wactor: fmt(mid[`${what} ${mode}`]!),
        ratio: `${fmt(ratios[Math.floor(ratios.length / 2)]!, 2)} [${fmt(ratios[0]!, 2)}–${fmt(ratios.at(-1)!, 2)}]`,
      };
    };
    const median = (key: string): number => rounds.map((r) => r[key]!).sort((a, b) => a - b)[Math.floor(rounds.length / 2)]!;
    const rows = [
      ratio("session", "seq"),
      ratio("jwt", "seq"),
      ratio("session", "pipe"),
      ratio("jwt", "pipe"),
      ratio("pong", "seq"),
      ratio("pong", "pipe"),
      ratio("session", "seq", "limit"),
      ratio("session", "pipe", "limit"),
    ];
    if (cpu.available) {
      rows.push(
        {
          what: "CPU µs per call at 64 in flight, serving process: echo's limit responder vs echo by session / by JWT / ponger by session",
          baseline: fmt(median("cpu limit limit")),
          wactor: `${fmt(median("cpu host session"))} / ${fmt(median("cpu host jwt"))} / ${fmt(median("cpu host pong"))}`,
          ratio: "-",
        },
        {
          what: "CPU µs per call at 64 in flight, calling process: raw vs session / JWT",
          baseline: fmt(median("cpu caller raw")),
          wactor: `${fmt(median("cpu caller session"))} / ${fmt(median("cpu caller jwt"))}`,
          ratio: "-",
        },
      );
    }
    return rows;
  } finally {
    for (const l of lattices) await l.leave();
    for (const h of hosts) await h.shutdown();
    await nc.close();
    for (const c of children) {
      const exited = new Promise((r) => c.once("exit", r));
      c.kill("SIGTERM");
      await exited;
    }
    await nats.stop();
  }
}
