/**
 * A baseline and wactor measured in alternation (baseline then wactor, wactor then baseline, …)
 * and each side averaged over PAIRS runs (BENCH_PAIRS, default 3): on a shared machine whose
 * load drifts by the minute, one run of each in sequence compares two different machines.
 */
import { load, type Load } from "./http.js";

export const PAIRS = Number(process.env.BENCH_PAIRS ?? 3);

const average = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** `pinned`: the load generator on its own CPU (bench/pinning.ts; the caller pins this process). */
export async function paired(baselineUrl: string, oursUrl: string, extra: string[] = [], pinned = false): Promise<[Load, Load]> {
  const baselines: Load[] = [];
  const ours: Load[] = [];
  for (let i = 0; i < PAIRS; i++) {
    if (i % 2 === 0) {
      baselines.push(await load(baselineUrl, extra, pinned));
      ours.push(await load(oursUrl, extra, pinned));
    } else {
      ours.push(await load(oursUrl, extra, pinned));
      baselines.push(await load(baselineUrl, extra, pinned));
    }
  }
  const mean = (loads: Load[]): Load => ({
    rps: average(loads.map((l) => l.rps)),
    p50: median(loads.map((l) => l.p50)),
    p99: median(loads.map((l) => l.p99)),
    errors: loads.reduce((sum, l) => sum + l.errors, 0),
    cpuUs: average(loads.map((l) => l.cpuUs)),
  });
  return [mean(baselines), mean(ours)];
}
