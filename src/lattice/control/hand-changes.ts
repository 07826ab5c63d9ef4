/**
 * Changes an operator makes by hand (`wactor ctl`, the dashboard), checked against what
 * applications own (issue 28): a link an application put, or an actor placement it made, is
 * refused with WACTOR_ERR_OWNED_BY_APP naming the application and `wactor app deploy`, unless
 * forced; a forced change says that the application's reconciler restores it. Anything made
 * by hand is changed as before. The reconciler itself goes to the ControlClient directly.
 */
import type { ActorPlacementResult, ControlClient } from "./control-client.js";
import type { Link, LinkPutResult } from "../wire/control-types.js";
import { assertNotOwned, restoredNote, type Owner } from "../wire/ownership.js";
import { hostsRunning } from "../state/placement.js";

/** What a forced change over an application's property adds to its result. */
export interface Overridden {
  /** The application that owns what was changed. */
  owner?: Owner;
  /** What happens next: its reconciler restores it. */
  note?: string;
}

const overridden = (owner: Owner | undefined): Overridden => (owner ? { owner, note: restoredNote(owner) } : {});
const linkText = (actor: string, capabilityId: string, binding: string | undefined): string => `link ${actor} -> ${capabilityId} '${binding ?? "default"}'`;

export async function putLinkByHand(
  client: ControlClient,
  input: { actor: string; capabilityId: string; binding?: string; values?: Record<string, string> },
  force = false,
): Promise<LinkPutResult & Overridden> {
  const owner = (await client.getLink(input.actor, input.capabilityId, input.binding))?.owner;
  assertNotOwned(linkText(input.actor, input.capabilityId, input.binding), owner, force);
  return { ...(await client.putLink(input)), ...overridden(owner) };
}

export async function deleteLinkByHand(
  client: ControlClient,
  actor: string,
  capabilityId: string,
  binding?: string,
  force = false,
): Promise<Link & Overridden> {
  const owner = (await client.getLink(actor, capabilityId, binding))?.owner;
  assertNotOwned(linkText(actor, capabilityId, binding), owner, force);
  const removed = await client.deleteLink(actor, capabilityId, binding);
  return { ...removed, ...overridden(owner) };
}

/** The application owning the actor's placement on the hosts a command reaches (one of them, when several do). */
async function placementOwner(client: ControlClient, actor: string, hostId: string | undefined): Promise<Owner | undefined> {
  const key = await client.actorKeyOf(actor);
  const hosts = await client.getHosts();
  const targets = hostId !== undefined ? [hostId] : hostsRunning(hosts, key);
  return hosts
    .filter((h) => targets.includes(h.id))
    .map((h) => h.actorApps?.[key])
    .find((o) => o !== undefined);
}

export async function stopActorByHand(
  client: ControlClient,
  actor: string,
  placement: { hostId?: string } = {},
  force = false,
): Promise<{ results: ActorPlacementResult[] } & Overridden> {
  const owner = await placementOwner(client, actor, placement.hostId);
  assertNotOwned(`actor ${actor}`, owner, force);
  return { results: await client.stopActor(actor, placement), ...overridden(owner) };
}

export async function scaleActorByHand(
  client: ControlClient,
  actor: string,
  instances: number,
  placement: { hostId?: string } = {},
  force = false,
): Promise<{ results: ActorPlacementResult[] } & Overridden> {
  const owner = await placementOwner(client, actor, placement.hostId);
  assertNotOwned(`actor ${actor}`, owner, force);
  return { results: await client.scaleActor(actor, instances, placement), ...overridden(owner) };
}
