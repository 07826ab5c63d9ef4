/** Small timing helpers for benchmarks: bounded in count and time, ratios in one run. */

export interface Rate {
  perSecond: number;
  count: number;
}

/** Runs `fn` sequentially until `count` runs or `maxMs` elapse; returns calls per second. */
export async function sequentialRate(fn: () => unknown, count: number, maxMs = 5000): Promise<Rate> {
  const start = performance.now();
  let done = 0;
  while (done < count && performance.now() - start < maxMs) {
    const result = fn();
    if (result instanceof Promise) await result; // a sync baseline pays no microtask
    done++;
  }
  return { perSecond: done / ((performance.now() - start) / 1000), count: done };
}

/** Keeps `inFlight` calls outstanding until `count` calls complete (or `maxMs`). */
export async function pipelinedRate(fn: () => Promise<unknown>, count: number, inFlight: number, maxMs = 5000): Promise<Rate> {
  const start = performance.now();
  let issued = 0;
  let done = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (issued < count && performance.now() - start < maxMs) {
        issued++;
        await fn();
        done++;
      }
    }),
  );
  return { perSecond: done / ((performance.now() - start) / 1000), count: done };
}

/** Sequential latencies in microseconds. */
export async function latencies(fn: () => unknown, count: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    const result = fn();
    if (result instanceof Promise) await result;
    samples.push((performance.now() - t) * 1000);
  }
  return samples.sort((a, b) => a - b);
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

export function fmt(n: number, digits = 0): string {
  return Number.isFinite(n) ? n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits }) : "-";
}

/**
 * Runs each measure `rounds` times, interleaved, and keeps each one's best rate: on a shared
 * machine a neighbour can only slow a round down, so the best round is the least disturbed.
 */
export async function bestOf<K extends string>(rounds: number, measures: Record<K, () => Promise<Rate>>): Promise<Record<K, Rate>> {
  const best = {} as Record<K, Rate>;
  for (let round = 0; round < rounds; round++) {
    for (const key of Object.keys(measures) as K[]) {
      const rate = await measures[key]();
      if (!best[key] || rate.perSecond > best[key].perSecond) best[key] = rate;
    }
  }
  return best;
}
