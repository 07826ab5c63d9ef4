/** The host's binding table: (actor, capability, binding name) -> configuration values. */
import { normalizeBinding } from "../provider/contract.js";

export interface Binding {
  actorKey: string;
  capabilityId: string;
  binding: string;
  values: Readonly<Record<string, string>>;
}

/**
 * Nested by actor, capability and name: `has` runs on every host call, and a lookup builds
 * no key string.
 */
export class BindingTable {
  readonly #byActor = new Map<string, Map<string, Map<string, Binding>>>();

  set(binding: Binding): void {
    const normalized = { ...binding, binding: normalizeBinding(binding.binding) };
    let byCapability = this.#byActor.get(normalized.actorKey);
    if (!byCapability) this.#byActor.set(normalized.actorKey, (byCapability = new Map()));
    let byName = byCapability.get(normalized.capabilityId);
    if (!byName) byCapability.set(normalized.capabilityId, (byName = new Map()));
    byName.set(normalized.binding, normalized);
  }

  get(actorKey: string, capabilityId: string, binding: string): Binding | undefined {
    return this.#byActor.get(actorKey)?.get(capabilityId)?.get(normalizeBinding(binding));
  }

  has(actorKey: string, capabilityId: string, binding: string): boolean {
    return this.get(actorKey, capabilityId, binding) !== undefined;
  }

  delete(actorKey: string, capabilityId: string, binding: string): boolean {
    const byCapability = this.#byActor.get(actorKey);
    const byName = byCapability?.get(capabilityId);
    if (!byName?.delete(normalizeBinding(binding))) return false;
    if (byName.size === 0) byCapability!.delete(capabilityId);
    if (byCapability!.size === 0) this.#byActor.delete(actorKey);
    return true;
  }

  forActor(actorKey: string): Binding[] {
    return [...(this.#byActor.get(actorKey)?.values() ?? [])].flatMap((byName) => [...byName.values()]);
  }

  all(): Binding[] {
    return [...this.#byActor.keys()].flatMap((actorKey) => this.forActor(actorKey));
  }
}
