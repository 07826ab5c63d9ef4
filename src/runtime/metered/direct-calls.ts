/**
 * Whether an actor's JSPI invocations are tried as direct calls (docs/runtime.md, "Direct
 * calls"): on until one makes a host call or they run out of their slice three times, and on
 * again once the serve loop shows they finish without suspending. The pool reports what its
 * invocations did; this decides.
 */

/**
 * Direct calls that may run out of their slice before an actor's calls go to the serve loop:
 * three, unless FORGIVEN calls in a row between two of them finished directly (then the count
 * starts again: such overruns were pauses of the thread). Counting only overruns in a row would
 * let an actor whose long calls alternate with short ones waste a slice on every long call.
 */
const SLICE_RESTARTS = 3;
const FORGIVEN = 1000;

/**
 * Invocations in a row on the serve loop that finished in their first step (no host call, no
 * yield) before an actor's calls are tried directly again: the overruns that turned them off
 * may have been the thread held up (a busy CPU, a collection), not the guest's own work.
 */
export const DIRECT_RETRY_AFTER = 1000;

export interface DirectCallEvents {
  onDirectOff?: ((reason: "wait" | "slice") => void) | undefined;
  onDirectOn?: (() => void) | undefined;
}

export class DirectCalls {
  #on: boolean;
  readonly #allowed: boolean;
  readonly #events: DirectCallEvents;
  /** Direct calls that ran out of their slice, and direct calls finished since the last of them. */
  #sliceRestarts = 0;
  #sinceRestart = 0;
  /** While off: serve-loop invocations in a row that finished in their first step. */
  #clean = 0;

  /** `allowed`: JSPI, and not switched off by the pool's options (then never tried). */
  constructor(allowed: boolean, events: DirectCallEvents) {
    this.#allowed = allowed;
    this.#on = allowed;
    this.#events = events;
  }

  get on(): boolean {
    return this.#on;
  }

  /** A direct call ran to its end (an answer or the guest's own error) without trying to suspend. */
  finished(): void {
    if (++this.#sinceRestart >= FORGIVEN) this.#sliceRestarts = 0;
  }

  /** A direct call was given up: it made a host call (`wait`) or ran out of its slice. */
  givenUp(reason: "wait" | "slice"): void {
    this.#sinceRestart = 0;
    if (reason === "slice" && ++this.#sliceRestarts < SLICE_RESTARTS) return;
    this.#on = false;
    this.#clean = 0;
    this.#events.onDirectOff?.(reason);
  }

  /** A serve-loop invocation's first step ended it (`true`) or it suspended or failed. */
  servedOnLoop(finishedAtOnce: boolean): void {
    if (!finishedAtOnce) {
      this.#clean = 0;
      return;
    }
    if (this.#on || !this.#allowed || ++this.#clean < DIRECT_RETRY_AFTER) return;
    this.#on = true;
    this.#sliceRestarts = 0;
    this.#sinceRestart = 0;
    this.#events.onDirectOn?.();
  }
}
