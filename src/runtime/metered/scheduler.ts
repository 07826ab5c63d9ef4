/**
 * Shares the host thread between metered guests, the way BEAM shares a scheduler between
 * processes: short work runs at once, long work runs in slices. An invocation starts in the
 * *foreground* (right away, in the caller's turn of the event loop) with a slice of
 * FOREGROUND_SLICE_MS; a guest still running at its end yields and goes on in the background,
 * and an actor whose invocations keep doing so turns *heavy* (metered-pool.ts decides).
 * A heavy actor's invocations run in the *background*: one slice at a time, actors taken in
 * turn, and while foreground work is going on the background gets at most BACKGROUND_SHARE
 * of the thread. An actor stops being heavy when one of its invocations ends inside its first
 * slice. The deadline is the guest's own business (it traps at the next tick past it).
 */

export const FOREGROUND_SLICE_MS = 2;
export const BACKGROUND_SLICE_MS = 1;
/** Of the host thread, for heavy actors, while there is foreground work. */
export const BACKGROUND_SHARE = 0.1;
/** Foreground work this recent means others want the thread. */
const CONTENDED_WITHIN_MS = 10;

/** Per actor: whether its invocations go to the background. */
export interface SchedulingState {
  heavy: boolean;
}

export interface Turn {
  /** When the guest must yield: performance.now() time, or relative to the slice's start. */
  readonly sliceEnd: number;
  readonly relative?: boolean;
  /** Reports that the slice is over (the guest finished, yielded or suspended). */
  end(): void;
}

interface Waiting {
  owner: SchedulingState;
  resolve: (turn: Turn) => void;
}

export class Scheduler {
  /** Background waiters, one FIFO per actor, actors served round robin. */
  readonly #queues = new Map<SchedulingState, Waiting[]>();
  #turnScheduled = false;
  #running = false;
  /** When foreground work last started: recent foreground work means the thread is contended. */
  #lastForeground = -Infinity;

  /** A foreground slice, starting now (the same object every time: it holds nothing). */
  foreground(now = performance.now()): Turn {
    this.#lastForeground = now;
    return FOREGROUND;
  }

  /** Waits for a background slice. */
  background(owner: SchedulingState): Promise<Turn> {
    return new Promise((resolve) => {
      let queue = this.#queues.get(owner);
      if (!queue) this.#queues.set(owner, (queue = []));
      queue.push({ owner, resolve });
      if (!this.#running) this.#schedule(0);
    });
  }

  /** Waiters in the background, for metrics and tests. */
  get backgroundWaiting(): number {
    let n = 0;
    for (const queue of this.#queues.values()) n += queue.length;
    return n;
  }

  #schedule(delayMs: number): void {
    if (this.#turnScheduled) return;
    this.#turnScheduled = true;
    const run = (): void => {
      this.#turnScheduled = false;
      this.#turn();
    };
    if (delayMs <= 0) setImmediate(run);
    else setTimeout(run, delayMs);
  }

  #turn(): void {
    const next = this.#takeNext();
    if (!next) return;
    this.#running = true;
    const started = performance.now();
    let ended = false;
    next.resolve({
      sliceEnd: started + BACKGROUND_SLICE_MS,
      end: () => {
        if (ended) return;
        ended = true;
        this.#running = false;
        if (this.backgroundWaiting === 0) return;
        // Others are waiting on the thread: give them (1 - share) of it before the next slice.
        const now = performance.now();
        const used = now - started;
        const contended = now - this.#lastForeground < CONTENDED_WITHIN_MS;
        this.#schedule(contended ? Math.ceil((used * (1 - BACKGROUND_SHARE)) / BACKGROUND_SHARE) : 0);
      },
    });
  }

  #takeNext(): Waiting | undefined {
    for (const [owner, queue] of this.#queues) {
      const next = queue.shift();
      // Round robin: the actor goes to the back of the line (Map keeps insertion order).
      this.#queues.delete(owner);
      if (queue.length > 0) this.#queues.set(owner, queue);
      if (next) return next;
    }
    return undefined;
  }
}

function noop(): void {}

/** Foreground slices are relative: each ends FOREGROUND_SLICE_MS after it starts. */
const FOREGROUND: Turn = Object.freeze({ sliceEnd: FOREGROUND_SLICE_MS, relative: true, end: noop });

/** One scheduler per process: all metered guests share the host thread. */
export const sharedScheduler = new Scheduler();
