/**
 * Deadlines of suspended invocations (a guest waiting on its provider, or for a background
 * turn), checked by one timer per pool rather than a timer per suspension: a `setTimeout` and
 * its promise hops per host call were the largest JS cost left on that path (docs/runtime.md).
 */
import { guestErrorText } from "../channel.js";
import { DeadlineTrap } from "./metered-guest.js";
import type { HttpClientResponse } from "../../codec/http-client.js";
import type { HostCallResult } from "../wapc-guest.js";

const EMPTY = new Uint8Array(0);

/** How often deadlines are checked: the deadline's precision. */
const SWEEP_MS = 20;

interface Watch {
  deadline: number;
  expire: (err: DeadlineTrap) => void;
}

export class DeadlineSweeper {
  readonly #watches = new Set<Watch>();
  #timer: NodeJS.Timeout | undefined;

  /** A host call's outcome, settled for the guest (errors as its text), unless `deadline` comes first. */
  reply(deadline: number, reply: Promise<Uint8Array | HttpClientResponse>): Promise<HostCallResult> {
    if (deadline <= performance.now()) return Promise.reject(new DeadlineTrap());
    return new Promise<HostCallResult>((resolve, reject) => {
      const watch: Watch = { deadline, expire: reject };
      this.#watch(watch);
      reply.then(
        (payload) => {
          if (this.#watches.delete(watch)) resolve(payload instanceof Uint8Array ? { ok: true, payload } : { ok: true, payload: EMPTY, fields: payload });
        },
        (err: unknown) => {
          if (this.#watches.delete(watch)) resolve({ ok: false, error: guestErrorText(err) });
        },
      );
    });
  }

  /** Settles with `promise`, or rejects with a DeadlineTrap once `deadline` passed (`onLate` then gets the promise). */
  beforeDeadline<T>(deadline: number, promise: Promise<T>, onLate?: (late: Promise<T>) => void): Promise<T> {
    if (deadline <= performance.now()) {
      onLate?.(promise);
      return Promise.reject(new DeadlineTrap());
    }
    return new Promise<T>((resolve, reject) => {
      const watch: Watch = {
        deadline,
        expire: (err) => {
          onLate?.(promise);
          reject(err);
        },
      };
      this.#watch(watch);
      promise.then(
        (value) => {
          if (this.#watches.delete(watch)) resolve(value);
        },
        (err: unknown) => {
          if (this.#watches.delete(watch)) reject(err);
        },
      );
    });
  }

  #watch(watch: Watch): void {
    this.#watches.add(watch);
    if (!this.#timer) {
      this.#timer = setInterval(() => this.#sweep(), SWEEP_MS);
      this.#timer.unref();
    }
  }

  #sweep(): void {
    const now = performance.now();
    for (const watch of this.#watches) {
      if (watch.deadline > now) continue;
      this.#watches.delete(watch);
      watch.expire(new DeadlineTrap());
    }
    if (this.#watches.size === 0) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }
}
