/**
 * Steady HTTP load on the edge host: `clients` loops, each sending one increment at a time
 * with a deadline, bounded in count and time. A 200 is an acknowledged increment (its counter
 * is kept); anything else is counted by catalog code (the JSON error body's `code`, or a
 * `WACTOR_ERR_*` inside the actor's own error text), or by the transport error's name.
 */

export interface LoadOptions {
  url: string;
  clients: number;
  /** A request not answered within this is past its deadline (an invariant violation). */
  deadlineMs: number;
  /** Pause after each request, so the load is steady rather than all the machine can take. */
  pauseMs: number;
  maxRequests: number;
}

export interface LoadResult {
  sent: number;
  /** Counter values acknowledged with 200. */
  acknowledged: number[];
  /** Non-200 answers and transport failures, by catalog code (or `HTTP <status>`, or the error's name). */
  errors: Map<string, number>;
  /** Each failure's code and when it was answered (epoch ms), to tell which fault caused it. */
  failures: Array<{ code: string; at: number }>;
  /** Requests still unanswered at their deadline: when each was sent (ms into the run). */
  pastDeadline: number[];
  slowestMs: number;
}

export const COUNTER_PATH = "/chaos";

export class Load {
  readonly result: LoadResult = { sent: 0, acknowledged: [], errors: new Map(), failures: [], pastDeadline: [], slowestMs: 0 };
  #running = true;
  readonly #loops: Promise<void>[];
  readonly #started = Date.now();

  constructor(readonly options: LoadOptions) {
    this.#loops = Array.from({ length: options.clients }, () => this.#loop());
  }

  /** Stops sending and waits until every request in flight settled. */
  async stop(): Promise<LoadResult> {
    this.#running = false;
    await Promise.all(this.#loops);
    return this.result;
  }

  async #loop(): Promise<void> {
    const { url, deadlineMs, pauseMs, maxRequests } = this.options;
    while (this.#running && this.result.sent < maxRequests) {
      this.result.sent++;
      const sentAt = Date.now();
      const failure = await request(`${url}${COUNTER_PATH}`, deadlineMs).then(
        (answer) => {
          if (answer.counter !== undefined) this.result.acknowledged.push(answer.counter);
          return answer.error;
        },
        (err: unknown) => {
          if ((err as Error).name === "TimeoutError") this.result.pastDeadline.push(sentAt - this.#started);
          return transportError(err);
        },
      );
      this.result.slowestMs = Math.max(this.result.slowestMs, Date.now() - sentAt);
      if (failure) {
        this.result.errors.set(failure, (this.result.errors.get(failure) ?? 0) + 1);
        this.result.failures.push({ code: failure, at: Date.now() });
      }
      // After a failure, a longer pause: a host down refuses connections at once, and a hot loop would only load the machine.
      await sleep(failure ? Math.max(pauseMs, 50) : pauseMs);
    }
  }
}

/** One GET with a deadline; resolves with the counter (200) or the error's code. */
export async function request(url: string, deadlineMs: number): Promise<{ counter?: number; error?: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(deadlineMs) });
  const body = await res.text();
  if (res.status === 200) {
    const counter = (JSON.parse(body) as { counter?: unknown }).counter;
    if (typeof counter === "number") return { counter };
    return { error: "200 without a counter" };
  }
  return { error: codeIn(body) ?? `HTTP ${res.status}` };
}

/** The catalog code of an error body: `{ error: { code } }` from the host, or a code in the actor's own message. */
export function codeIn(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown } | string };
    if (typeof parsed.error === "object" && typeof parsed.error?.code === "string") return parsed.error.code;
  } catch {
    // not JSON: look for a code in the text
  }
  return /WACTOR_ERR_[A-Z0-9_]+/.exec(body)?.[0];
}

/** fetch's failure as a short name: the deadline, or the socket error under undici's "fetch failed". */
function transportError(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; name?: string } };
  if (e.name === "TimeoutError") return "past the deadline";
  return `transport: ${e.cause?.code ?? e.cause?.name ?? e.name}`;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
