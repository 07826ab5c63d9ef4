/**
 * Keeps this host's binding table equal to the lattice's links: a host whose provider serves
 * the capability makes the binding (validated by the provider) and takes calls for it; every
 * other host records the link so its authorizer knows it. Changes are applied one at a time.
 */
import type { Logger } from "pino";
import { isWactorError } from "../../errors.js";
import type { Host } from "../../host/host.js";
import type { ClaimsStore } from "../state/claims-store.js";
import type { LinkValidation } from "../wire/control-types.js";
import type { Link, LinkChange, LinkStore } from "../state/link-store.js";
import type { LatticeRpc } from "../rpc/rpc.js";

export interface LinkSyncOptions {
  host: Host;
  hostId: string;
  rpc: LatticeRpc;
  links: LinkStore;
  claims: ClaimsStore;
  logger: Logger;
  onApplied(link: Link, validation: LinkValidation): void;
  onRemoved(actorKey: string, capabilityId: string, binding: string): void;
}

const sameValues = (a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean =>
  JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());

export class LinkSync {
  readonly #o: LinkSyncOptions;
  #queue: Promise<unknown> = Promise.resolve();
  #watch: { stop(): void } | undefined;

  constructor(options: LinkSyncOptions) {
    this.#o = options;
  }

  /** Applies every stored link, then follows changes. */
  async start(): Promise<void> {
    this.#watch = await this.#o.links.watch((change) => void this.#onChange(change), this.#o.logger);
    await this.#queue;
  }

  stop(): void {
    this.#watch?.stop();
  }

  /** Makes the binding on this host; resolves with the provider's verdict (never rejects). */
  apply(link: Link): Promise<LinkValidation> {
    return this.#serial(() => this.#apply(link));
  }

  remove(actorKey: string, capabilityId: string, binding: string): Promise<void> {
    return this.#serial(() => this.#remove(actorKey, capabilityId, binding));
  }

  /** Brings one link back to what the store says (after a put that failed elsewhere). */
  resync(actorKey: string, capabilityId: string, binding: string): Promise<void> {
    return this.#serial(async () => {
      const stored = await this.#o.links.get(actorKey, capabilityId, binding);
      if (stored) await this.#apply(stored);
      else await this.#remove(actorKey, capabilityId, binding);
    });
  }

  /** Applies every stored link of one capability (a provider for it just started here). */
  async applyStored(capabilityId: string): Promise<void> {
    for (const link of await this.#o.links.list()) {
      if (link.capabilityId !== capabilityId) continue;
      // A link recorded before the provider existed is made now, through the provider.
      await this.#serial(async () => {
        await this.#o.host.unbind(link.actorKey, link.capabilityId, link.binding);
        return this.#apply(link);
      });
    }
  }

  /**
   * Stops the local provider of one capability: its links stop being served here first (so
   * calls go to another host serving them, or fail at once naming the link), then the host
   * releases its bindings and stops it. In line with link changes, so none lands halfway.
   */
  releaseProvider(capabilityId: string): Promise<void> {
    return this.#serial(async () => {
      const { host, rpc } = this.#o;
      for (const b of host.listBindings()) if (b.capabilityId === capabilityId) rpc.unserveLink(capabilityId, b.binding, b.actorKey);
      await rpc.flush().catch(() => {});
      await host.removeProvider(capabilityId);
    });
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(work, work);
    this.#queue = next.catch(() => {});
    return next;
  }

  #onChange(change: LinkChange): Promise<unknown> {
    return change.change === "put" ? this.apply(change.link) : this.remove(change.actorKey, change.capabilityId, change.binding);
  }

  async #apply(link: Link): Promise<LinkValidation> {
    const { host, hostId, rpc } = this.#o;
    const provider = host.provider(link.capabilityId);
    const existing = host.bindings.get(link.actorKey, link.capabilityId, link.binding);
    if (existing && sameValues(existing.values, link.values)) {
      const status = provider?.bindingStatus(link.actorKey, existing.binding);
      if (status?.state !== "failed") return { hostId, ok: true };
    }
    try {
      const identity = host.actorInfo(link.actorKey) ? undefined : await this.#o.claims.identity(link.actorKey);
      await host.bind(link.actorKey, link.capabilityId, link.binding, { ...link.values }, identity);
      if (provider) {
        rpc.serveLink(link.capabilityId, link.binding, link.actorKey);
        await rpc.flush();
      }
      const validation = { hostId, ok: true };
      if (provider) this.#o.onApplied(link, validation);
      return validation;
    } catch (err) {
      if (provider) rpc.unserveLink(link.capabilityId, link.binding, link.actorKey);
      const validation: LinkValidation = isWactorError(err)
        ? { hostId, ok: false, code: err.code, detail: err.detail ?? err.message }
        : { hostId, ok: false, code: "WACTOR_ERR_BINDING_FAILED", detail: String(err) };
      this.#o.logger.warn({ link: { ...link, values: undefined }, code: validation.code }, `link not applied on this host: ${validation.detail}`);
      if (provider) this.#o.onApplied(link, validation);
      return validation;
    }
  }

  async #remove(actorKey: string, capabilityId: string, binding: string): Promise<void> {
    const { host, rpc } = this.#o;
    if (!host.bindings.has(actorKey, capabilityId, binding)) return;
    rpc.unserveLink(capabilityId, binding, actorKey);
    await host.unbind(actorKey, capabilityId, binding);
    if (host.provider(capabilityId)) this.#o.onRemoved(actorKey, capabilityId, binding);
  }
}
