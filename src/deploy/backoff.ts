/**
 * Backoff per reconciler command: a command that keeps failing (a replica that will not
 * start, a link its provider refuses) is retried after 1 s, 2 s, 4 s … up to 60 s, and
 * reported with its last reason meanwhile, never retried in a hot loop.
 */
export class CommandBackoff {
  readonly #entries = new Map<string, { failures: number; until: number; reason: string }>();

  constructor(
    private readonly baseMs = 1000,
    private readonly maxMs = 60_000,
  ) {}

  failed(key: string, reason: string, now = Date.now()): void {
    const failures = (this.#entries.get(key)?.failures ?? 0) + 1;
    this.#entries.set(key, { failures, until: now + Math.min(this.maxMs, this.baseMs * 2 ** (failures - 1)), reason });
  }

  succeeded(key: string): void {
    this.#entries.delete(key);
  }

  /** The reason to hold a command back now, or undefined. */
  heldBack(key: string, describe: string, now = Date.now()): string | undefined {
    const entry = this.#entries.get(key);
    if (!entry || now >= entry.until) return undefined;
    return `${describe} failed ${entry.failures} time(s): ${entry.reason}; next try in ${Math.ceil((entry.until - now) / 1000)} s`;
  }
}
