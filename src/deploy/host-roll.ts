/**
 * The hosts a reconciler round plans with. A round pings every host and collects answers for
 * up to 1 s, stopping 150 ms after the last one; a host that answers late (a garbage
 * collection, a busy machine) would look gone, and the planner would start its replicas
 * elsewhere only to stop the extras a round later. A host that answered the previous round
 * and misses this one keeps its last answer for this round; missing two rounds in a row, it
 * is gone (healing waits one reconcile interval longer, 1 s by default).
 */
import type { HostSummary } from "../lattice/wire/control-types.js";

export class HostRoll {
  /** Every host planned with last round, by id. */
  #last = new Map<string, HostSummary>();
  /** Those among them that were kept without answering. */
  #kept = new Set<string>();

  /** This round's answers plus last round's hosts that missed it once, oldest host first. */
  plan(answered: HostSummary[]): HostSummary[] {
    const answeredIds = new Set(answered.map((h) => h.id));
    const stragglers = [...this.#last.values()].filter((h) => !answeredIds.has(h.id) && !this.#kept.has(h.id));
    this.#kept = new Set(stragglers.map((h) => h.id));
    const hosts = [...answered, ...stragglers].sort((a, b) => a.startedAt.localeCompare(b.startedAt));
    this.#last = new Map(hosts.map((h) => [h.id, h]));
    return hosts;
  }
}
