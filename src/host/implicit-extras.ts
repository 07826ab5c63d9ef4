/**
 * waSCC semantics the manifests of its users rely on (docs/wascc-protocol.md §2, Extras): the host
 * always carries its extras provider and binds it, binding `default`, to every actor whose
 * claims include `wascc:extras`; no waSCC manifest binds it. Doing it here, where actors
 * start, covers every way an actor runs (manifests, `wactor call`, `wactor dev`, lattice
 * hosts) without each of them knowing. An explicit binding or provider wins.
 */
import { ExtrasProvider } from "../../capabilities/extras/mod.js";
import { CAP_EXTRAS } from "../codec/operations.js";
import type { BindingTable } from "./bindings.js";
import { DEFAULT_BINDING, type ActorIdentity, type CapabilityProvider } from "../provider/contract.js";

/** The part of the Host this needs (kept narrow: the host owns providers and bindings). */
export interface ImplicitExtrasHost {
  readonly bindings: BindingTable;
  provider(capabilityId: string): CapabilityProvider | undefined;
  addProvider(provider: CapabilityProvider): Promise<void>;
  bind(actorKey: string, capabilityId: string, binding: string, values: Record<string, string>): Promise<void>;
  unbind(actorKey: string, capabilityId: string, binding: string): Promise<void>;
}

export class ImplicitExtras {
  readonly #host: ImplicitExtrasHost;
  readonly #provider = new ExtrasProvider({ name: "extras (built in)" });
  /** Actors whose `default` extras binding this made (and so also removes). */
  readonly #bound = new Set<string>();

  constructor(host: ImplicitExtrasHost) {
    this.#host = host;
  }

  /** True for the provider the host carries by itself (another one may replace it). */
  owns(provider: CapabilityProvider): boolean {
    return provider === this.#provider;
  }

  /** After an actor started or changed claims: binds `default` unless a binding exists. */
  async actorStarted(actorKey: string, caps: readonly string[]): Promise<void> {
    if (!caps.includes(CAP_EXTRAS) || this.#host.bindings.has(actorKey, CAP_EXTRAS, DEFAULT_BINDING)) return;
    if (!this.#host.provider(CAP_EXTRAS)) await this.#host.addProvider(this.#provider);
    await this.#host.bind(actorKey, CAP_EXTRAS, DEFAULT_BINDING, {});
    this.#bound.add(actorKey);
  }

  /** A binding made by someone else replaces the implicit one: it is theirs from now on. */
  boundExplicitly(actorKey: string, capabilityId: string, binding: string): void {
    if (capabilityId === CAP_EXTRAS && binding === DEFAULT_BINDING) this.#bound.delete(actorKey);
  }

  /** The implicit binding goes with its actor (in a lattice, where links outlive actors, too). */
  async actorStopped(actorKey: string): Promise<void> {
    if (this.#bound.delete(actorKey)) await this.#host.unbind(actorKey, CAP_EXTRAS, DEFAULT_BINDING);
  }

  /** Another extras provider takes over from the built-in one, with every binding it held. */
  async handOver(next: CapabilityProvider, identity: (actorKey: string) => ActorIdentity | undefined): Promise<void> {
    for (const b of this.#host.bindings.all()) {
      if (b.capabilityId === CAP_EXTRAS) await next.bind(identity(b.actorKey) ?? { key: b.actorKey, issuer: "", caps: [] }, b.binding, b.values);
    }
    await this.#provider.stop();
  }
}
