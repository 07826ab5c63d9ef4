/**
 * Calls in flight to a host that died. A session invocation is addressed to one host; when
 * that host is SIGKILLed its reply never comes, and the call waited for the full lattice
 * deadline (15 s) — holding the caller (an edge's HTTP request, an actor instance) all that
 * time. So while a call to a host has waited longer than PROBE_AFTER_MS, the host is probed:
 * an empty request on its invocation subject, which a live host answers at once and the NATS
 * server answers "no responders" for once the host's connection is gone. Then the calls
 * waiting on it fail with WACTOR_ERR_LATTICE_CONNECTION_LOST (they may or may not have run:
 * nothing is retried) and its session routes are dropped. Measured: calls in flight at a
 * worker's SIGKILL failed within ~0.5–1 s instead of 15 s (docs/directive.md).
 */
import { NoResponders, type RequestMux } from "./request-mux.js";

/** What a host answers a probe with (no invocation was made). */
export const PROBE_ANSWER = new Uint8Array(0);

const PROBE_AFTER_MS = 500;
const PROBE_TIMEOUT_MS = 2_000;

export class HostLiveness {
  readonly #mux: RequestMux;
  readonly #onGone: (hostId: string) => void;
  /** Host invocation subject -> host id, for the subjects calls were sent on. */
  readonly #hosts = new Map<string, string>();
  readonly #probing = new Set<string>();
  #timer: NodeJS.Timeout | undefined;

  constructor(mux: RequestMux, onGone: (hostId: string) => void) {
    this.#mux = mux;
    this.#onGone = onGone;
  }

  /** A call is being sent on `subject` (the invocation subject of `hostId`). */
  watch(subject: string, hostId: string): void {
    if (!this.#hosts.has(subject)) this.#hosts.set(subject, hostId);
    if (this.#timer) return;
    this.#timer = setInterval(() => this.#check(), PROBE_AFTER_MS);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #check(): void {
    // Nothing waits on a host any more: the timer stops until the next call.
    if (this.#probing.size === 0 && !this.#mux.waitingLongerThan(0).some((s) => this.#hosts.has(s))) return this.stop();
    for (const subject of this.#mux.waitingLongerThan(PROBE_AFTER_MS)) if (this.#hosts.has(subject) && !this.#probing.has(subject)) this.#probe(subject);
  }

  #probe(subject: string): void {
    this.#probing.add(subject);
    this.#mux
      .request(subject, PROBE_ANSWER, PROBE_TIMEOUT_MS)
      .then(
        () => undefined,
        (err: unknown) => {
          if (!(err instanceof NoResponders)) return; // slow or unreachable: the calls keep their own deadline
          const hostId = this.#hosts.get(subject)!;
          this.#hosts.delete(subject);
          this.#onGone(hostId);
          this.#mux.failSubject(subject, `host ${hostId} left the lattice with the call in flight; it may or may not have been carried out`);
        },
      )
      .finally(() => this.#probing.delete(subject));
  }
}
