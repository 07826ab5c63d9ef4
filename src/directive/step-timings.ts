/**
 * How long each step of each route, schedule and stream handler takes, for the dashboard. One
 * run in SAMPLE_EVERY is timed (two clock reads per step, from the step's start to its replies
 * applied), so serving pays next to nothing for it; counts are of timed runs.
 */

/** One step of one target, over the runs timed so far. */
export interface StepTiming {
  /** The route (`GET /hello`), `schedule tick` or `stream orders.new`. */
  target: string;
  step: number;
  /** `fn greet`, `group shout,count`, `forEach render`. */
  what: string;
  count: number;
  meanMs: number;
  maxMs: number;
}

/** What a sequence run reports to when it is timed. */
export interface SequenceTiming {
  readonly sink: StepTimings;
  readonly target: string;
}

export const SAMPLE_EVERY = 8;

interface Totals {
  what: string;
  count: number;
  totalMs: number;
  maxMs: number;
}

export class StepTimings {
  readonly #byTarget = new Map<string, Array<Totals | undefined>>();
  /** Runs per target: counted apart, so a target's runs are timed whatever runs between them. */
  readonly #runs = new Map<string, number>();

  /** The timing of this run, or undefined when it is not one of those timed (a target's first is). */
  sample(target: string): SequenceTiming | undefined {
    const runs = this.#runs.get(target) ?? 0;
    this.#runs.set(target, runs + 1);
    return runs % SAMPLE_EVERY === 0 ? { sink: this, target } : undefined;
  }

  /** `what` is asked for only the first time a step is seen. */
  record(target: string, step: number, what: () => string, ms: number): void {
    let steps = this.#byTarget.get(target);
    if (!steps) this.#byTarget.set(target, (steps = []));
    const totals = (steps[step] ??= { what: what(), count: 0, totalMs: 0, maxMs: 0 });
    totals.count++;
    totals.totalMs += ms;
    if (ms > totals.maxMs) totals.maxMs = ms;
  }

  snapshot(): StepTiming[] {
    const out: StepTiming[] = [];
    for (const [target, steps] of this.#byTarget) {
      steps.forEach((t, step) => {
        if (t) out.push({ target, step, what: t.what, count: t.count, meanMs: round(t.totalMs / t.count), maxMs: round(t.maxMs) });
      });
    }
    return out;
  }
}

const round = (ms: number): number => Math.round(ms * 1000) / 1000;

/** Step timings of the same bundle from several hosts as one list: counts summed, means weighted, the largest max. */
export function mergeStepTimings(lists: ReadonlyArray<readonly StepTiming[]>): StepTiming[] {
  const merged = new Map<string, StepTiming>();
  for (const list of lists) {
    for (const t of list) {
      const key = `${t.target}\u0000${t.step}`;
      const known = merged.get(key);
      if (!known) {
        merged.set(key, { ...t });
        continue;
      }
      const count = known.count + t.count;
      known.meanMs = round((known.meanMs * known.count + t.meanMs * t.count) / Math.max(1, count));
      known.count = count;
      known.maxMs = Math.max(known.maxMs, t.maxMs);
    }
  }
  return [...merged.values()].sort((a, b) => a.target.localeCompare(b.target) || a.step - b.step);
}
