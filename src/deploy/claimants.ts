/**
 * Which deployed application an actor or link belongs to when several want it (issue 28).
 * The one that already owns it (placed replicas, put the link) keeps it; otherwise the one
 * deployed first (then by name), so the choice is the same every round and two
 * applications never take a thing from each other in turn. The others report a conflict.
 */
import type { Link } from "../lattice/state/link-store.js";
import type { DesiredApp, DesiredLink, ObservedHost } from "./app-types.js";

type LinkId = Pick<DesiredLink, "actorKey" | "capabilityId" | "binding">;

export const sameLink = (a: LinkId, b: LinkId): boolean => a.actorKey === b.actorKey && a.capabilityId === b.capabilityId && a.binding === b.binding;

const byAge = (a: DesiredApp, b: DesiredApp): number => a.deployedAt.localeCompare(b.deployedAt) || a.name.localeCompare(b.name);

export class Claimants {
  readonly #deployed: DesiredApp[];
  readonly #hosts: readonly ObservedHost[];
  readonly #links: readonly Link[];

  constructor(apps: readonly DesiredApp[], hosts: readonly ObservedHost[], links: readonly Link[]) {
    this.#deployed = apps.filter((a) => !a.undeployed).sort(byAge);
    this.#hosts = hosts;
    this.#links = links;
  }

  /** Whether a deployed application of this name wants the actor. */
  wantsActor(appName: string, key: string): boolean {
    return this.#deployed.some((a) => a.name === appName && a.actors.some((x) => x.key === key));
  }

  /** The application the actor is left to, among the deployed ones that want it. */
  actor(key: string): string | undefined {
    const wanting = this.#deployed.filter((a) => a.actors.some((x) => x.key === key));
    const placing = wanting.find((a) => this.#hosts.some((h) => h.actorApps?.[key]?.app === a.name));
    return (placing ?? wanting[0])?.name;
  }

  /** The application the link is left to, among the deployed ones that want it. */
  link(id: LinkId): string | undefined {
    const wanting = this.#deployed.filter((a) => a.links.some((l) => sameLink(l, id)));
    const stored = this.#links.find((l) => sameLink(l, id))?.owner;
    return (wanting.find((a) => a.name === stored?.app) ?? wanting[0])?.name;
  }
}
