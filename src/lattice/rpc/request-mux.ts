/**
 * Request/reply for invocations, on one wildcard inbox subscription per connection. nats.js's
 * own `request` builds a `NatsError` (a captured stack trace) for every request it completes,
 * even a successful one, and arms a timer per request: together 10-15 % of a calling host's
 * CPU at 64 in flight (docs/lattice.md, figures). Here a reply is one map lookup, and all
 * deadlines are checked by one sweep timer.
 */
import { createInbox, type Msg, type NatsConnection, type Subscription } from "nats";
import { WactorError } from "../../errors.js";

/** Nobody subscribes to the subject: the server answered at once with a 503 status. */
export class NoResponders extends Error {
  constructor(readonly subject: string) {
    super(`no responders on ${subject}`);
    this.name = "NoResponders";
  }
}

interface Pending {
  subject: string;
  sentAt: number;
  deadline: number;
  timeoutMs: number;
  resolve: (data: Uint8Array) => void;
  reject: (err: Error) => void;
}

/** How often deadlines are checked: a timeout fires up to this late. */
const SWEEP_MS = 100;

export class RequestMux {
  readonly #nc: NatsConnection;
  readonly #prefix: string;
  readonly #pending = new Map<string, Pending>();
  #subscription: Subscription | undefined;
  #sweeper: NodeJS.Timeout | undefined;
  #next = 0;

  constructor(nc: NatsConnection) {
    this.#nc = nc;
    this.#prefix = `${createInbox()}.`;
    void this.#failOnDisconnect();
  }

  /** Sends `data` to `subject`; the reply's data, `NoResponders`, WACTOR_ERR_LATTICE_TIMEOUT, or WACTOR_ERR_LATTICE_CONNECTION_LOST. */
  request(subject: string, data: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    this.#subscribe();
    const token = (this.#next++).toString(36);
    return new Promise<Uint8Array>((resolve, reject) => {
      const sentAt = performance.now();
      this.#pending.set(token, { subject, sentAt, deadline: sentAt + timeoutMs, timeoutMs, resolve, reject });
      this.#armSweeper();
      try {
        this.#nc.publish(subject, data, { reply: this.#prefix + token });
      } catch (err) {
        this.#pending.delete(token);
        reject(new WactorError("WACTOR_ERR_LATTICE_UNAVAILABLE", (err as Error).message));
      }
    });
  }

  /** Fails every request still waiting (the connection is closing). */
  close(): void {
    this.#subscription?.unsubscribe();
    this.#subscription = undefined;
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
    this.#failPending("WACTOR_ERR_LATTICE_UNAVAILABLE", "the lattice connection closed");
  }

  /** Subjects with a request waiting for longer than `ms` (each once). */
  waitingLongerThan(ms: number): string[] {
    const before = performance.now() - ms;
    const subjects = new Set<string>();
    for (const p of this.#pending.values()) if (p.sentAt <= before) subjects.add(p.subject);
    return [...subjects];
  }

  /** Fails every request waiting on `subject` (its only subscriber is known to be gone). */
  failSubject(subject: string, why: string): void {
    for (const [token, p] of this.#pending) {
      if (p.subject !== subject) continue;
      this.#pending.delete(token);
      p.reject(new WactorError("WACTOR_ERR_LATTICE_CONNECTION_LOST", `${p.subject}: ${why}`));
    }
  }

  #failPending(code: "WACTOR_ERR_LATTICE_UNAVAILABLE" | "WACTOR_ERR_LATTICE_CONNECTION_LOST", why: string): void {
    for (const [token, p] of this.#pending) {
      this.#pending.delete(token);
      p.reject(new WactorError(code, `${p.subject}: ${why}`));
    }
  }

  /**
   * Requests in flight when the connection to their server drops fail at once: the request or
   * its reply went down with that connection (core NATS keeps neither), so waiting meant the
   * full deadline. In the chaos run (docs/reliability.md) calls held that way after a NATS node
   * was SIGKILLed kept every actor instance busy until the actor's deadline, 10 s.
   */
  async #failOnDisconnect(): Promise<void> {
    for await (const s of this.#nc.status()) {
      if (s.type === "disconnect")
        this.#failPending(
          "WACTOR_ERR_LATTICE_CONNECTION_LOST",
          `the connection to NATS server ${String(s.data)} was lost with the call in flight; it may or may not have been carried out`,
        );
    }
  }

  #subscribe(): void {
    if (this.#subscription) return;
    this.#subscription = this.#nc.subscribe(`${this.#prefix}*`, { callback: (err, msg) => (err ? undefined : this.#settle(msg)) });
  }

  #settle(msg: Msg): void {
    const token = msg.subject.slice(this.#prefix.length);
    const p = this.#pending.get(token);
    if (!p) return; // late: its deadline already failed it
    this.#pending.delete(token);
    // NATS core: a 503 status with no payload means no subscriber took the request.
    if (msg.data.length === 0 && msg.headers?.code === 503) p.reject(new NoResponders(p.subject));
    else p.resolve(msg.data);
  }

  #armSweeper(): void {
    if (this.#sweeper) return;
    this.#sweeper = setInterval(() => this.#sweep(), SWEEP_MS);
    this.#sweeper.unref();
  }

  #sweep(): void {
    const now = performance.now();
    for (const [token, p] of this.#pending) {
      if (p.deadline > now) continue;
      this.#pending.delete(token);
      p.reject(new WactorError("WACTOR_ERR_LATTICE_TIMEOUT", `${p.subject} after ${p.timeoutMs} ms`));
    }
    if (this.#pending.size === 0) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
    }
  }
}
