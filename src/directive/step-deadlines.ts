/**
 * The step timeouts of every running sequence, checked by one interval timer rather than a
 * `setTimeout`, an AbortController race and their promises per step: per step they were the
 * sequence engine's largest cost after the codec (docs/directive.md, "Measured"). A step
 * times out between its timeout and one sweep later.
 */

/** How often step deadlines are checked: their precision. */
export const STEP_SWEEP_MS = 20;

export interface StepWatch {
  deadline: number;
  expire(): void;
}

const watches = new Set<StepWatch>();
let timer: NodeJS.Timeout | undefined;

function sweep(): void {
  const now = performance.now();
  for (const watch of watches) {
    if (watch.deadline > now) continue;
    watches.delete(watch);
    watch.expire();
  }
  if (watches.size === 0) {
    clearInterval(timer);
    timer = undefined;
  }
}

export function watchStep(watch: StepWatch): void {
  watches.add(watch);
  // Not unref'd: a sequence waiting for its step keeps the process alive, as its timer did.
  timer ??= setInterval(sweep, STEP_SWEEP_MS);
}

/** True when the watch was still running (it had not expired): the caller settles the step. */
export function unwatchStep(watch: StepWatch): boolean {
  return watches.delete(watch);
}
