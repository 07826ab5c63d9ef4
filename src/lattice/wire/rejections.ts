/**
 * Everything the lattice refuses to act on, in one place: unsigned or forged control
 * requests, and unsigned, forged, stale or malformed entries of any bucket. A stored entry
 * is reported once (bucket, key and revision), however often it is read; each refused
 * request is counted. Reports feed the metric `wactor_lattice_rejected_total{reason}`
 * (reason `<scope>:<why>`), a lattice event for `ctl watch` and the dashboard, and the log.
 */
import type { Logger } from "pino";

export type RejectionScope = "control" | "links" | "apps" | "app_status" | "leases" | "claims" | "hosts";

export interface Rejection {
  scope: RejectionScope;
  /** unsigned, malformed, untrusted-issuer, bad-signature, expired, tampered, replayed, stale. */
  reason: string;
  /** The KV key, or the control subject. */
  key: string;
  /** Entries only: the KV revision (a new write under the same key is a new report). */
  revision?: number;
  detail: string;
}

/** Stored entries remembered as reported; past this many the oldest are forgotten (bounded memory). */
const REMEMBERED = 10_000;

export class RejectionReporter {
  readonly #logger: Logger;
  readonly #listeners: Array<(r: Rejection) => void> = [];
  readonly #reported = new Set<string>();
  readonly #counts = new Map<string, number>();

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  onReport(listener: (r: Rejection) => void): void {
    this.#listeners.push(listener);
  }

  /** Reports a rejection; false when this entry was reported already. */
  report(r: Rejection): boolean {
    if (r.revision !== undefined) {
      const id = `${r.scope}\n${r.key}\n${r.revision}`;
      if (this.#reported.has(id)) return false;
      this.#reported.add(id);
      if (this.#reported.size > REMEMBERED) this.#reported.delete(this.#reported.values().next().value!);
    }
    const label = `${r.scope}:${r.reason}`;
    const count = (this.#counts.get(label) ?? 0) + 1;
    this.#counts.set(label, count);
    // Entries are logged each (once); a flood of refused requests is logged at its start and every thousandth.
    if (r.revision !== undefined || count === 1 || count % 1000 === 0) {
      this.#logger.warn(
        { scope: r.scope, reason: r.reason, key: r.key, revision: r.revision, count },
        `lattice: refused to act on ${r.scope} ${r.key}: ${r.detail}`,
      );
    }
    for (const listener of this.#listeners) listener(r);
    return true;
  }

  /** Rejections so far by `<scope>:<why>`. */
  counts(): Record<string, number> {
    return Object.fromEntries(this.#counts);
  }
}
