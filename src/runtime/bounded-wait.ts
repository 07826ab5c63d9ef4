/** A wait that `settle` ends early and `timeoutMs` ends anyway: how pools drain. */
export function boundedWait(timeoutMs: number): { promise: Promise<void>; settle: () => void } {
  let settle = (): void => undefined;
  const promise = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    settle = () => {
      clearTimeout(timer);
      resolve();
    };
  });
  return { promise, settle };
}

/**
 * A pool's drain: when work is still `busy`, waits until the pool calls the `settle` handed to
 * `onIdle` (its last invocation ended) or `timeoutMs` passed, whichever comes first.
 */
export async function untilIdle(busy: boolean, timeoutMs: number, onIdle: (settle: () => void) => void): Promise<void> {
  if (!busy) return;
  const wait = boundedWait(timeoutMs);
  onIdle(wait.settle);
  await wait.promise;
}
