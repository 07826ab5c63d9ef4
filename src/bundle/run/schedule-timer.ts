/**
 * The timers of a bundle's schedules. Each fires `firstAfterMs` after start (Atmo: about 1 s)
 * and then every period, on a fixed grid from its first time, so a slow run does not push
 * the next ones later. A run never overlaps the previous run of the same schedule: a tick
 * that finds it still going is skipped and reported, never queued (a queue would grow
 * without bound behind a run slower than its period).
 */

export interface ScheduleSpec {
  name: string;
  periodMs: number;
}

export interface ScheduleTimerOptions {
  /** First run after start; default 1000 ms. */
  firstAfterMs?: number;
  /** How late a run started against its grid time (the start delay a bench measures). */
  onStarted?: (name: string, lateMs: number) => void;
  /** A tick skipped because the previous run of that schedule was still going. */
  onSkipped?: (name: string) => void;
}

interface Entry {
  spec: ScheduleSpec;
  due: number;
  timer: NodeJS.Timeout | undefined;
  running: Promise<void> | undefined;
}

export class ScheduleTimer {
  readonly #entries: Entry[];
  readonly #run: (name: string) => Promise<void>;
  readonly #options: ScheduleTimerOptions;
  #stopped = true;

  constructor(specs: readonly ScheduleSpec[], run: (name: string) => Promise<void>, options: ScheduleTimerOptions = {}) {
    for (const spec of specs) if (!(spec.periodMs > 0)) throw new RangeError(`schedule ${spec.name}: period must be positive`);
    this.#entries = specs.map((spec) => ({ spec, due: 0, timer: undefined, running: undefined }));
    this.#run = run;
    this.#options = options;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    const first = performance.now() + (this.#options.firstAfterMs ?? 1000);
    for (const entry of this.#entries) {
      entry.due = first;
      this.#arm(entry);
    }
  }

  /** Stops the timers; resolves once the runs in flight have ended. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const entry of this.#entries) clearTimeout(entry.timer);
    await Promise.allSettled(this.#entries.map((e) => e.running));
  }

  #arm(entry: Entry): void {
    entry.timer = setTimeout(() => this.#fire(entry), Math.max(0, entry.due - performance.now()));
  }

  #fire(entry: Entry): void {
    if (this.#stopped) return;
    const now = performance.now();
    if (entry.running) this.#options.onSkipped?.(entry.spec.name);
    else {
      // Node's timers may fire a fraction of a millisecond before the grid time: that is on time.
      this.#options.onStarted?.(entry.spec.name, Math.max(0, now - entry.due));
      // The runner reports its own outcome; a rejection here must not end the timer.
      entry.running = this.#run(entry.spec.name)
        .catch(() => undefined)
        .finally(() => (entry.running = undefined));
    }
    // The next grid time still ahead (ticks missed while the thread was busy are not made up).
    do entry.due += entry.spec.periodMs;
    while (entry.due <= now);
    this.#arm(entry);
  }
}
