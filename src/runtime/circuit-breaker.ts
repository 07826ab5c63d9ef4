/**
 * Backs off an actor that keeps failing hard (traps, deadlines, memory ceiling): after
 * `threshold` such failures in a row its invocations are refused at once for a while
 * (1 s, doubling up to 30 s), so a broken or hostile actor cannot burn the CPU everyone
 * else needs. After the pause one invocation probes: success closes the breaker, a hard
 * failure opens it again for twice as long.
 */
import { WactorError, isWactorError, type ErrorCode } from "../errors.js";

const HARD_FAILURES: ReadonlySet<ErrorCode> = new Set(["WACTOR_ERR_TRAP", "WACTOR_ERR_DEADLINE", "WACTOR_ERR_MEMORY_LIMIT"]);

export interface BreakerOptions {
  threshold?: number;
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  now?: () => number;
}

export class CircuitBreaker {
  readonly #threshold: number;
  readonly #baseMs: number;
  readonly #maxMs: number;
  readonly #now: () => number;
  #consecutive = 0;
  #backoffMs: number;
  #openUntil = 0;
  #probing = false;

  constructor(options: BreakerOptions = {}) {
    this.#threshold = options.threshold ?? 10;
    this.#baseMs = options.baseBackoffMs ?? 1000;
    this.#maxMs = options.maxBackoffMs ?? 30_000;
    this.#backoffMs = this.#baseMs;
    this.#now = options.now ?? Date.now;
  }

  /** Throws WACTOR_ERR_ACTOR_BACKOFF while open. */
  check(): void {
    if (this.#openUntil === 0) return;
    const now = this.#now();
    if (now < this.#openUntil) {
      throw new WactorError("WACTOR_ERR_ACTOR_BACKOFF", `${this.#threshold} hard failures in a row; retry in ${Math.ceil((this.#openUntil - now) / 1000)} s`);
    }
    this.#openUntil = 0;
    this.#probing = true;
  }

  get open(): boolean {
    return this.#openUntil !== 0 && this.#now() < this.#openUntil;
  }

  record(error: unknown): void {
    const hard = error !== undefined && isWactorError(error) && HARD_FAILURES.has(error.code);
    if (!hard) {
      this.#consecutive = 0;
      if (this.#probing) this.#backoffMs = this.#baseMs;
      this.#probing = false;
      return;
    }
    this.#consecutive++;
    if (this.#probing || this.#consecutive >= this.#threshold) {
      if (this.#probing) this.#backoffMs = Math.min(this.#backoffMs * 2, this.#maxMs);
      this.#openUntil = this.#now() + this.#backoffMs;
      this.#consecutive = 0;
      this.#probing = false;
    }
  }
}
