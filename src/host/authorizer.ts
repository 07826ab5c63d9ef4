/**
 * The waSCC authorization rule, applied on every actor -> capability call (docs/wascc-protocol.md §5):
 * the capability must be in the actor's `caps` claim AND bound under that binding name.
 * Denials are counted, and logged once per (actor, capability) so a hostile actor cannot
 * flood the log.
 */
import type { Logger } from "pino";
import { mayBind } from "../claims/may-bind.js";
import { permissionDenied } from "../runtime/claims-gate.js";
import type { BindingTable } from "./bindings.js";

export interface Denial {
  actorKey: string;
  actorName: string | undefined;
  capabilityId: string;
  binding: string;
  operation: string;
  reason: "not-claimed" | "not-bound";
  /** How many calls this report stands for (instances report repeated denials in batches). */
  count: number;
}

export class Authorizer {
  readonly #bindings: BindingTable;
  readonly #logger: Logger;
  readonly #counts = new Map<string, number>();
  readonly #onDenied: (denial: Denial) => void;

  constructor(bindings: BindingTable, logger: Logger, onDenied: (denial: Denial) => void) {
    this.#bindings = bindings;
    this.#logger = logger;
    this.#onDenied = onDenied;
  }

  /** Throws WACTOR_ERR_PERMISSION_DENIED naming actor, capability, binding and operation. */
  authorize(actor: { key: string; name?: string | undefined; caps: readonly string[] }, capabilityId: string, binding: string, operation: string): void {
    let reason: Denial["reason"] | undefined;
    if (!mayBind(actor, capabilityId)) reason = "not-claimed";
    else if (!this.#bindings.has(actor.key, capabilityId, binding)) reason = "not-bound";
    if (!reason) return;
    this.record({ actorKey: actor.key, actorName: actor.name, capabilityId, binding, operation, reason, count: 1 });
    const why = reason === "not-claimed" ? `the actor did not claim ${capabilityId}` : `no binding '${binding}' of ${capabilityId}`;
    throw permissionDenied(actor, capabilityId, binding, operation, why);
  }

  /** Counts, logs (once per actor and capability) and announces denials, here or in an instance. */
  record(denial: Denial): void {
    const countKey = `${denial.actorKey}\u0000${denial.capabilityId}`;
    const before = this.#counts.get(countKey) ?? 0;
    this.#counts.set(countKey, before + denial.count);
    if (before === 0) this.#logger.warn({ ...denial }, "permission denied (further denials for this actor and capability are counted, not logged)");
    this.#onDenied(denial);
  }

  /** Denials so far, per (actor, capability). */
  deniedCounts(): Array<{ actorKey: string; capabilityId: string; count: number }> {
    return [...this.#counts].map(([key, count]) => {
      const [actorKey, capabilityId] = key.split("\u0000") as [string, string];
      return { actorKey, capabilityId, count };
    });
  }
}
