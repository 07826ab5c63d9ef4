/**
 * JetStream failures that mean "not now" rather than "no": a request nobody answered in time
 * or no responders (a stream's leader being elected; on nats-server 2.9 a consumer placed on
 * a server that died but is not yet known offline, which goes on for tens of seconds after
 * a SIGKILL), or JetStream saying it is temporarily unavailable. Reads retry these within a
 * budget, with backoff; anything else is an answer and fails at once.
 */
import { NatsError } from "nats";

export function isTransient(err: unknown): boolean {
  if (!(err instanceof NatsError)) return false;
  if (err.code === "TIMEOUT" || err.code === "503") return true;
  // JetStream answers 503 (e.g. 10008, "JetStream system temporarily unavailable") while its cluster settles.
  return err.api_error?.code === 503;
}

let retries = 0;

/** Transient failures retried so far in this process (diagnostics and tests). */
export function transientRetries(): number {
  return retries;
}

export interface RetryOptions {
  /** How long to keep retrying after the first failure; 0: no retry. */
  budgetMs: number;
  onRetry?(attempt: number, err: unknown): void;
}

/** Runs `op`, again after a transient failure (100 ms, 200 ms … 1 s apart) until the budget is spent. */
export async function retryTransient<T>(op: () => Promise<T>, options: RetryOptions): Promise<T> {
  const deadline = Date.now() + options.budgetMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await op();
    } catch (err) {
      const pause = Math.min(1000, 100 * 2 ** (attempt - 1));
      if (!isTransient(err) || Date.now() + pause > deadline) throw err;
      retries++;
      options.onRetry?.(attempt, err);
      await new Promise((r) => setTimeout(r, pause));
    }
  }
}
