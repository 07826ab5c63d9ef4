/**
 * The waSCC rule for bindings (docs/wascc-protocol.md §5): an actor may be bound, or linked in
 * a lattice, to a capability only if its claims name that capability. The host checks it when
 * binding, the control client before storing a link; the call-time check is authorizer.ts's.
 */
import { WactorError } from "../errors.js";

export interface ClaimedCapabilities {
  key: string;
  name?: string | undefined;
  caps: readonly string[];
}

export function mayBind(actor: ClaimedCapabilities, capabilityId: string): boolean {
  return actor.caps.includes(capabilityId);
}

/** Throws WACTOR_ERR_PERMISSION_DENIED naming the actor and the capability it did not claim. */
export function assertMayBind(actor: ClaimedCapabilities, capabilityId: string): void {
  if (mayBind(actor, capabilityId)) return;
  const who = actor.name ? `${actor.name} (${actor.key})` : actor.key;
  throw new WactorError(
    "WACTOR_ERR_PERMISSION_DENIED",
    `actor ${who} did not claim ${capabilityId}; it cannot be bound or linked to it (sign it with --cap ${capabilityId})`,
  );
}
