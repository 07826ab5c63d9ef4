/**
 * One chaos run: the lattice of `lattice.ts` under the steady load of `load.ts` while the
 * nemesis kills and restarts its pieces; then the invariants (`report.ts`). Used by
 * `npm run chaos` (bench/chaos.ts) and by test/chaos.test.ts.
 */
import { Redis } from "ioredis";
import { ChaosLattice, rssOf } from "./lattice.js";
import { COUNTER_PATH, Load, sleep, type LoadResult } from "./load.js";
import { Nemesis, type Fault } from "./nemesis.js";
import { prng } from "./prng.js";
import { verdicts, type HostMemory, type Verdict } from "./report.js";
import type { HostExit } from "./lattice.js";

export interface ChaosOptions {
  minutes: number;
  seed: number;
  /** Concurrent HTTP clients. */
  clients?: number;
  /** A request's deadline (above the lattice's 15 s invocation timeout: a call in flight on a killed host is answered by then). */
  deadlineMs?: number;
  pauseMs?: number;
  maxRssMiB?: number;
  /** The application must be deployed and serving within this of a fault's end. */
  recoveryLimitMs?: number;
  /** Random wait between a fault's recovery and the next fault. */
  gapMs?: [number, number];
  /** Ends the run after this many faults (and a few seconds of load after the last), if the minutes have not ended it before. */
  maxFaults?: number;
  /** Ends the run early (Ctrl-C): it still tears everything down and reports, as interrupted. */
  signal?: AbortSignal;
  log?: (line: string) => void;
}

export interface ChaosReport {
  options: Required<Omit<ChaosOptions, "log" | "signal">>;
  interrupted: boolean;
  durationMs: number;
  /** When the faults began (epoch ms): fault times are ms from it. */
  runStart: number;
  faults: Fault[];
  load: LoadResult;
  finalCounter: number;
  hostExits: HostExit[];
  memory: HostMemory[];
  /** WACTOR_ERR_* codes in the hosts' logs (warn level and above), by code. */
  loggedCodes: Map<string, number>;
  verdicts: Verdict[];
  passed: boolean;
}

const RSS_SAMPLE_MS = 2000;

export async function runChaos(input: ChaosOptions): Promise<ChaosReport> {
  const options = {
    minutes: input.minutes,
    seed: input.seed,
    clients: input.clients ?? 4,
    deadlineMs: input.deadlineMs ?? 20_000,
    pauseMs: input.pauseMs ?? 20,
    maxRssMiB: input.maxRssMiB ?? 512,
    recoveryLimitMs: input.recoveryLimitMs ?? 10_000,
    gapMs: input.gapMs ?? [10_000, 30_000],
    maxFaults: input.maxFaults ?? Infinity,
  };
  const log = input.log ?? (() => undefined);
  const lattice = await ChaosLattice.start(log);
  let load: Load | undefined;
  let nemesis: Nemesis | undefined;
  let sampling = true;
  try {
    const durationMs = options.minutes * 60_000;
    load = new Load({
      url: lattice.url,
      clients: options.clients,
      deadlineMs: options.deadlineMs,
      pauseMs: options.pauseMs,
      maxRequests: Math.ceil(durationMs / 1000) * 500 + 10_000,
    });
    // Steady before the first fault: increments acknowledged (bounded wait).
    for (let i = 0; i < 120 && load.result.acknowledged.length < 20 && !input.signal?.aborted; i++) await sleep(250);
    if (load.result.acknowledged.length === 0)
      throw new Error(`no increment acknowledged within 30 s of the deploy: errors ${JSON.stringify([...load.result.errors])}`);
    const runStart = Date.now();
    let endAt = runStart + durationMs;
    log(`load steady (${options.clients} clients); faults for ${options.minutes} min, seed ${options.seed}`);

    const memory = new Map<string, HostMemory>();
    const sampler = (async () => {
      while (sampling) {
        for (const h of lattice.hosts) {
          const rss = await rssOf(h.proc.child.pid);
          if (rss === undefined) continue;
          const key = `${h.name}#${h.incarnation}`;
          const m = memory.get(key) ?? { host: key, firstMiB: rss / 1048576, lastMiB: 0, peakMiB: 0 };
          m.lastMiB = rss / 1048576;
          m.peakMiB = Math.max(m.peakMiB, m.lastMiB);
          memory.set(key, m);
        }
        await sleep(RSS_SAMPLE_MS);
      }
    })();

    nemesis = new Nemesis(
      lattice,
      prng(options.seed),
      { gapMs: options.gapMs, downMs: [500, 3000], recoveryWaitMs: 60_000, tailMs: 3000 + options.recoveryLimitMs },
      runStart,
      log,
    );
    const interrupt = (): void => {
      nemesis?.stop();
      endAt = Date.now();
    };
    input.signal?.addEventListener("abort", interrupt, { once: true });
    if (input.signal?.aborted) interrupt();
    await nemesis.run(endAt, options.maxFaults);
    // Load goes on after the last fault: a while after a fault-bounded run, to the end of a timed one.
    if (nemesis.faults.length >= options.maxFaults) endAt = Math.min(endAt, Date.now() + 5000);
    while (Date.now() < endAt) await sleep(Math.min(1000, endAt - Date.now()));

    // The end: whole again (bounded), then no more load, then the count.
    for (let i = 0; i < 120 && !input.signal?.aborted && !(await nemesis.whole()); i++) await sleep(250);
    const result = await load.stop();
    load = undefined;
    sampling = false;
    await sampler;
    const finalCounter = await readCounter(lattice.redis.url);
    const loggedCodes = new Map<string, number>();
    for (const text of lattice.allOutput())
      for (const [code] of text.matchAll(/WACTOR_ERR_[A-Z0-9_]+/g)) loggedCodes.set(code, (loggedCodes.get(code) ?? 0) + 1);
    const report = {
      options,
      interrupted: input.signal?.aborted ?? false,
      durationMs: Date.now() - runStart,
      runStart,
      faults: nemesis.faults,
      load: result,
      finalCounter,
      hostExits: [...lattice.unexpectedExits],
      memory: [...memory.values()],
      loggedCodes,
    };
    const checked = verdicts(report);
    return { ...report, verdicts: checked, passed: !report.interrupted && checked.every((v) => v.ok) };
  } finally {
    sampling = false;
    nemesis?.stop();
    await load?.stop();
    await lattice.stop();
  }
}

/** The counter's value in Redis (the key-value provider stores the path with '/' as ':'). */
async function readCounter(url: string): Promise<number> {
  const redis = new Redis(url, { maxRetriesPerRequest: 3, lazyConnect: true });
  try {
    await redis.connect();
    return Number((await redis.get(COUNTER_PATH.replaceAll("/", ":"))) ?? 0);
  } finally {
    redis.disconnect();
  }
}
