/** The host's binding table: (actor, capability, binding name) -> configuration values. */
import { normalizeBinding } from "./provider.js";

export interface Binding {
  actorKey: string;
  capabilityId: string;
  binding: string;
  values: Readonly<Record<string, string>>;
}

const keyOf = (actorKey: string, capabilityId: string, binding: string): string => `${actorKey}\u0000${capabilityId}\u0000${binding}`;

export class BindingTable {
  readonly #bindings = new Map<string, Binding>();

  set(binding: Binding): void {
    const normalized = { ...binding, binding: normalizeBinding(binding.binding) };
    this.#bindings.set(keyOf(normalized.actorKey, normalized.capabilityId, normalized.binding), normalized);
  }

  get(actorKey: string, capabilityId: string, binding: string): Binding | undefined {
    return this.#bindings.get(keyOf(actorKey, capabilityId, normalizeBinding(binding)));
  }

  has(actorKey: string, capabilityId: string, binding: string): boolean {
    return this.#bindings.has(keyOf(actorKey, capabilityId, normalizeBinding(binding)));
  }

  delete(actorKey: string, capabilityId: string, binding: string): boolean {
    return this.#bindings.delete(keyOf(actorKey, capabilityId, normalizeBinding(binding)));
  }

  forActor(actorKey: string): Binding[] {
    return [...this.#bindings.values()].filter((b) => b.actorKey === actorKey);
  }

  all(): Binding[] {
    return [...this.#bindings.values()];
  }
}
