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
