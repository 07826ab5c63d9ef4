/**
 * Links from the control client: put only once every host serving the capability accepted the
 * binding (a broken link is reported now, never stored to fail later), deleted by name, read.
 */
import { assertMayBind } from "../../claims/may-bind.js";
import { WactorError } from "../../errors.js";
import { normalizeBinding } from "../../provider/contract.js";
import type { LinkStore } from "../state/link-store.js";
import { decodeJson, encodeJson } from "../wire/control-codec.js";
import type { LinkPutResult, LinkValidation } from "../wire/control-types.js";
import type { Link, Owner } from "../wire/ownership.js";
import type { ControlBus } from "./control-bus.js";

export interface LinkInput {
  actor: string;
  capabilityId: string;
  binding?: string;
  values?: Record<string, string>;
  owner?: Owner;
}

export class LinksClient {
  constructor(
    readonly bus: ControlBus,
    readonly store: LinkStore,
  ) {}

  async put(input: LinkInput): Promise<LinkPutResult> {
    const bus = this.bus;
    const claims = await bus.findClaims(input.actor);
    const actorKey = claims?.subject ?? input.actor;
    if (!/^M[A-Z2-7]{55}$/.test(actorKey))
      throw new WactorError("WACTOR_ERR_BAD_ARGUMENT", `'${input.actor}' is neither a module key nor the name of an actor known to the lattice`);
    if (claims) assertMayBind({ key: actorKey, name: claims.name, caps: claims.caps }, input.capabilityId);
    const link: Link = {
      actorKey,
      capabilityId: input.capabilityId,
      binding: normalizeBinding(input.binding),
      values: input.values ?? {},
      ...(input.owner && { owner: input.owner }),
    };
    const validations = (await bus.scatter(bus.subjects.control("link.validate"), encodeJson(link), 3000)).map((b) => decodeJson<LinkValidation>(b));
    if (validations.some((v) => !v.ok)) {
      // Hosts that accepted it go back to what the store says.
      await bus.scatter(bus.subjects.control("link.resync"), encodeJson(link), 1000);
      return { link, stored: false, validations };
    }
    if (validations.length === 0) await bus.authorize(`link put ${link.actorKey} -> ${link.capabilityId}`);
    await this.store.put(link);
    if (validations.length === 0) {
      return { link, stored: true, validations, pending: `no host runs a provider for ${link.capabilityId} yet; the link applies when one starts` };
    }
    return { link, stored: true, validations };
  }

  async delete(actor: string, capabilityId: string, binding?: string): Promise<Link> {
    const actorKey = await this.bus.actorKeyOf(actor);
    const name = normalizeBinding(binding);
    const existing = await this.store.get(actorKey, capabilityId, name);
    if (existing) await this.bus.authorize(`link del ${actorKey} -> ${capabilityId}`);
    if (!existing || !(await this.store.delete(actorKey, capabilityId, name))) {
      throw new WactorError("WACTOR_ERR_LINK_NOT_FOUND", `${actor} -> ${capabilityId} '${name}'`);
    }
    return existing;
  }

  list(): Promise<Link[]> {
    return this.store.list();
  }

  /** The stored link, by actor ref (module key or name), capability and binding name. */
  async get(actor: string, capabilityId: string, binding?: string): Promise<Link | undefined> {
    return this.store.get(await this.bus.actorKeyOf(actor), capabilityId, normalizeBinding(binding));
  }
}
