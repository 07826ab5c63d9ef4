/** Ctrl-C and SIGTERM for long-running commands: one place that listens and stops listening. */

/** Calls `handler` on the first SIGINT or SIGTERM; returns a function that stops listening. */
export function onStopSignal(handler: () => void): () => void {
  const stop = (): void => {
    off();
    handler();
  };
  const off = (): void => {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  return off;
}

/** Resolves on the first SIGINT or SIGTERM. */
export function waitForSignal(): Promise<void> {
  return new Promise((resolve) => onStopSignal(resolve));
}
