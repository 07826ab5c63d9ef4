/**
 * The reconciler's brain, pure: desired applications + observed hosts + stored links ->
 * the control commands that bring actual toward desired, and a status per application that
 * says, in words, why they still differ. No I/O here, so every rule is unit-tested.
 */
import type { Link } from "../lattice/state/link-store.js";
import type { Owner } from "../lattice/wire/ownership.js";
import type { AppPhase, AppStatus, DesiredActor, DesiredApp, DesiredLink, ObservedHost } from "./app-types.js";
import { planBundles, type BundleCommand } from "./bundle-planner.js";
import { Claimants, sameLink } from "./claimants.js";

/** What the reconciler does; what it places or puts carries the application (and version) that owns it. */
export type Command =
  | { kind: "start_actor"; hostId: string; actorKey: string; ref: string; instances: number; owner: Owner; bundle?: string }
  | { kind: "update_actor"; hostId: string; actorKey: string; ref: string; owner: Owner; bundle?: string }
  | { kind: "scale_actor"; hostId: string; actorKey: string; instances: number; owner: Owner }
  /** Records a placement as this application's version (made by an earlier version, or left by an undeployed application): nothing restarts. */
  | { kind: "adopt_actor"; hostId: string; actorKey: string; instances: number; owner: Owner }
  | { kind: "stop_actor"; hostId: string; actorKey: string }
  | { kind: "start_provider"; hostId: string; capabilityId: string; app: string }
  | { kind: "stop_provider"; hostId: string; capabilityId: string; app: string }
  | { kind: "put_link"; link: DesiredLink; owner: Owner }
  | { kind: "delete_link"; actorKey: string; capabilityId: string; binding: string }
  | BundleCommand;

/** Identifies a command across ticks, for backoff: the same action on the same target. */
export function commandKey(c: Command): string {
  switch (c.kind) {
    case "put_link":
      return `put_link:${c.link.actorKey}:${c.link.capabilityId}:${c.link.binding}`;
    case "delete_link":
      return `delete_link:${c.actorKey}:${c.capabilityId}:${c.binding}`;
    case "start_provider":
    case "stop_provider":
      return `${c.kind}:${c.hostId}:${c.capabilityId}`;
    case "start_bundle":
    case "stop_bundle":
      return `${c.kind}:${c.hostId}:${c.digest}`;
    default:
      return `${c.kind}:${c.hostId}:${c.actorKey}`;
  }
}

export function describeCommand(c: Command, name: (key: string) => string): string {
  switch (c.kind) {
    case "start_actor":
      return `start ${name(c.actorKey)} on ${short(c.hostId)}`;
    case "update_actor":
      return `update ${name(c.actorKey)} on ${short(c.hostId)} (rolling)`;
    case "scale_actor":
      return `scale ${name(c.actorKey)} on ${short(c.hostId)} to ${c.instances}`;
    case "adopt_actor":
      return `adopt ${name(c.actorKey)} on ${short(c.hostId)} as ${c.owner.app}@${c.owner.version}`;
    case "stop_actor":
      return `stop ${name(c.actorKey)} on ${short(c.hostId)}`;
    case "start_provider":
      return `start provider ${c.capabilityId} on ${short(c.hostId)}`;
    case "stop_provider":
      return `stop provider ${c.capabilityId} on ${short(c.hostId)}`;
    case "put_link":
      return `link ${name(c.link.actorKey)} -> ${c.link.capabilityId} '${c.link.binding}'`;
    case "delete_link":
      return `unlink ${name(c.actorKey)} -> ${c.capabilityId} '${c.binding}'`;
    case "start_bundle":
      return `serve ${c.identifier} routes on ${short(c.hostId)}`;
    case "stop_bundle":
      return `stop ${c.identifier} routes on ${short(c.hostId)}`;
  }
}

export interface PlanInput {
  apps: DesiredApp[];
  hosts: ObservedHost[];
  links: Link[];
  /** Why a command is held back (backed off after failures), or undefined when it may run. */
  heldBack(key: string): string | undefined;
  reconciler: string;
  now: Date;
}

export interface Plan {
  commands: Command[];
  statuses: AppStatus[];
}

const short = (hostId: string): string => `${hostId.slice(0, 10)}…`;
const matches = (labels: Record<string, string>, wanted: Record<string, string>): boolean => Object.entries(wanted).every(([k, v]) => labels[k] === v);
const labelText = (labels: Record<string, string>): string =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(",") || "(any host)";

/** Replicas per spread group, proportional to weights (largest remainder). */
export function apportion(replicas: number, weights: number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (replicas * w) / total);
  const counts = exact.map(Math.floor);
  let left = replicas - counts.reduce((a, b) => a + b, 0);
  const byRemainder = exact.map((e, i) => [e - Math.floor(e), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of byRemainder) {
    if (left-- <= 0) break;
    counts[i]!++;
  }
  return counts;
}

export function plan(input: PlanInput): Plan {
  const commands: Command[] = [];
  const claimants = new Claimants(input.apps, input.hosts, input.links);
  const statuses = input.apps.map((app) => planApp(app, input, commands, wantedElsewhere(app, input.apps), claimants));
  return { commands, statuses };
}

/** One application's round: its own commands, and what it found left to others. */
interface AppRound {
  app: DesiredApp;
  owner: Owner;
  claimants: Claimants;
  issue(c: Command): void;
  conflict(what: string, first: string): void;
  name(key: string): string;
}

interface Elsewhere {
  actors: Set<string>;
  links: DesiredLink[];
}

/**
 * What the other deployed applications want. An application never stops an actor, nor
 * removes a link, that another one wants: an undeployed one that owned an actor would
 * otherwise stop it under the application now running it, every other round.
 */
function wantedElsewhere(app: DesiredApp, apps: readonly DesiredApp[]): Elsewhere {
  const others = apps.filter((a) => a.name !== app.name && !a.undeployed);
  return { actors: new Set(others.flatMap((a) => a.actors.map((x) => x.key))), links: others.flatMap((a) => a.links) };
}

function planApp(app: DesiredApp, input: PlanInput, commands: Command[], elsewhere: Elsewhere, claimants: Claimants): AppStatus {
  const own: Command[] = [];
  const problems: string[] = [];
  const conflicts: string[] = [];
  const conflictsWith = new Set<string>();
  const issue = (c: Command): void => {
    const held = input.heldBack(commandKey(c));
    if (held) problems.push(held);
    else own.push(c);
  };
  const desiredActors = app.undeployed ? [] : app.actors;
  const names = new Map(app.actors.map((a) => [a.key, a.name ?? a.key.slice(0, 10)]));
  const name = (key: string): string => names.get(key) ?? `${key.slice(0, 10)}…`;
  const round: AppRound = {
    app,
    owner: { app: app.name, version: app.version },
    claimants,
    issue,
    name,
    conflict: (what, first) => {
      conflicts.push(
        `${what}: application '${first}' owns it and keeps it; this application leaves it alone (give each application its own, or undeploy '${first}')`,
      );
      conflictsWith.add(first);
    },
  };
  const actors = desiredActors.map((actor) => planActor(actor, input, round));
  // Placements this application made and no longer wants: stopped (unless another deployed
  // application wants that actor: it adopts them). A host of an earlier version records no
  // owner: there, every actor an earlier version of the application ran counts as its own.
  const wanted = new Set(desiredActors.map((a) => a.key));
  const released = input.hosts.flatMap((h) =>
    h.actors
      .filter((a) => !wanted.has(a.key) && !elsewhere.actors.has(a.key) && (h.actorApps ? h.actorApps[a.key]?.app === app.name : app.owned.includes(a.key)))
      .map((a) => ({ host: h, key: a.key })),
  );
  // While an edge still serves routes of another version of the application's bundles, the
  // functions those routes call keep running: they stop the round after the routes changed.
  const wantedDigests = new Set((app.undeployed ? [] : (app.bundles ?? [])).map((b) => b.digest));
  const oldRoutes = !app.undeployed && input.hosts.some((h) => h.bundles?.some((r) => r.owner?.app === app.name && !wantedDigests.has(r.digest)));
  if (!oldRoutes) for (const { host, key } of released) issue({ kind: "stop_actor", hostId: host.id, actorKey: key });
  planProviders(app, input, issue, problems);
  planLinks(app, input, round, elsewhere);
  const bundles = planBundles(app, input.hosts, round.owner, issue);
  commands.push(...own);
  for (const a of actors) problems.push(...a.problems);
  for (const b of bundles.statuses) problems.push(...b.problems);
  const notes = actors.flatMap((a) => a.notes);
  const runningOwned = released.length > 0 || bundles.runningOwned || input.hosts.some((h) => startedFor(h, app.name).length > 0);
  let phase: AppPhase;
  if (app.undeployed) phase = own.length === 0 && !runningOwned ? "undeployed" : "undeploying";
  else if (conflicts.length > 0) phase = "conflict";
  else if (own.length > 0) phase = "reconciling";
  else if (problems.length > 0) phase = "failed";
  else phase = actors.every((a) => a.running.every((r) => r.state === "running" && r.current)) ? "deployed" : "reconciling";
  return {
    name: app.name,
    version: app.version,
    deployedAt: app.deployedAt,
    phase,
    actors,
    problems,
    notes,
    pending: own.map((c) => describeCommand(c, name)),
    ...(bundles.statuses.length > 0 && { bundles: bundles.statuses }),
    conflicts,
    conflictsWith: [...conflictsWith],
    updatedAt: input.now.toISOString(),
    reconciler: input.reconciler,
  };
}

function planActor(actor: DesiredActor, input: PlanInput, round: AppRound): AppStatus["actors"][number] {
  const { issue, name, owner } = round;
  const problems: string[] = [];
  const notes: string[] = [];
  const status = (running: Array<{ host: ObservedHost; actor: ObservedHost["actors"][number] }>): AppStatus["actors"][number] => ({
    key: actor.key,
    name: actor.name,
    desiredReplicas: actor.replicas,
    running: running.map((r) => ({ hostId: r.host.id, instances: r.actor.instances, state: r.actor.state, current: r.actor.digest === actor.digest })),
    problems,
    notes,
  });
  const first = round.claimants.actor(actor.key);
  if (first !== undefined && first !== round.app.name) {
    round.conflict(name(actor.key), first);
    return status([]);
  }
  const everywhere = input.hosts.flatMap((h) => {
    const a = h.actors.find((x) => x.key === actor.key);
    return a ? [{ host: h, actor: a, owner: h.actorApps?.[actor.key] }] : [];
  });
  // This application's replicas: those it placed, those left by an application that no longer
  // wants the actor (adopted), and every one on a host of an earlier version (it records no
  // owner). One started by hand is left alone, and its host is not used for another replica.
  const running = everywhere.filter(
    (r) => !r.host.actorApps || (r.owner !== undefined && (r.owner.app === round.app.name || !round.claimants.wantsActor(r.owner.app, actor.key))),
  );
  for (const r of everywhere)
    if (r.host.actorApps && !r.owner) notes.push(`${name(actor.key)} on ${short(r.host.id)} was started by hand (unmanaged): left alone`);
  // Rolling update: one host at a time, and only while every other replica serves.
  const stale = running.filter((r) => r.actor.digest !== actor.digest);
  const allServing = running.every((r) => r.actor.state === "running");
  const bundle = actor.bundle === undefined ? {} : { bundle: actor.bundle };
  if (stale.length > 0 && allServing) issue({ kind: "update_actor", hostId: stale[0]!.host.id, actorKey: actor.key, ref: actor.digest, owner, ...bundle });
  for (const r of running) {
    if (r.actor.digest !== actor.digest) continue;
    if (r.actor.instances !== actor.instances) issue({ kind: "scale_actor", hostId: r.host.id, actorKey: actor.key, instances: actor.instances, owner });
    else if (r.owner && (r.owner.app !== owner.app || r.owner.version !== owner.version))
      issue({ kind: "adopt_actor", hostId: r.host.id, actorKey: actor.key, instances: r.actor.instances, owner });
  }
  // Placement over the spread groups.
  const targets = apportion(
    actor.replicas,
    actor.spread.map((g) => g.weight),
  );
  const assigned = new Set<string>();
  let starting = 0;
  let shortfall = 0;
  const shortOf: string[] = [];
  /** Starts up to `count` replicas on the least loaded free hosts that pass `fits`; returns how many. */
  const startOn = (fits: (h: ObservedHost) => boolean, count: number): number => {
    const free = input.hosts
      .filter((h) => fits(h) && !assigned.has(h.id) && !everywhere.some((r) => r.host.id === h.id) && !input.heldBack(`start_actor:${h.id}:${actor.key}`))
      .sort((a, b) => a.actors.length - b.actors.length || a.id.localeCompare(b.id))
      .slice(0, Math.max(0, count));
    for (const h of free) {
      assigned.add(h.id);
      issue({ kind: "start_actor", hostId: h.id, actorKey: actor.key, ref: actor.digest, instances: actor.instances, owner, ...bundle });
    }
    starting += free.length;
    return free.length;
  };
  actor.spread.forEach((group, i) => {
    const want = targets[i]!;
    const here = running.filter((r) => !assigned.has(r.host.id) && matches(r.host.labels, group.labels)).slice(0, want);
    for (const r of here) assigned.add(r.host.id);
    let need = want - here.length;
    if (need <= 0) return;
    need -= startOn((h) => matches(h.labels, group.labels), need);
    if (need > 0) {
      shortfall += need;
      shortOf.push(labelText(group.labels));
    }
  });
  // A group without enough hosts borrows from the others (a replica running elsewhere counts),
  // so losing a zone keeps the replica count; the spread is restored when its hosts return.
  const spare = running.filter((r) => !assigned.has(r.host.id) && actor.spread.some((g) => matches(r.host.labels, g.labels)));
  for (const r of spare.slice(0, shortfall)) {
    assigned.add(r.host.id);
    shortfall--;
  }
  shortfall -= startOn((h) => actor.spread.some((g) => matches(h.labels, g.labels)), shortfall);
  if (shortOf.length > 0 && shortfall === 0)
    notes.push(
      `${name(actor.key)}: spread not met (too few hosts matching ${shortOf.join(" / ")}); replicas run on other hosts of the spread until they return`,
    );
  if (shortfall > 0) {
    const held = input.hosts.map((h) => input.heldBack(`start_actor:${h.id}:${actor.key}`)).filter((x): x is string => x !== undefined);
    problems.push(
      `${name(actor.key)}: ${shortfall} more replica(s) wanted on hosts matching ${shortOf.join(" / ")}, and no free host matches${held.length > 0 ? ` (${held.join("; ")})` : ""}`,
    );
  }
  // Surplus replicas stop only once nothing is starting, so capacity never dips below desired.
  if (starting === 0) for (const r of running) if (!assigned.has(r.host.id)) issue({ kind: "stop_actor", hostId: r.host.id, actorKey: actor.key });
  for (const r of running) if (r.actor.state === "failed") problems.push(`${name(actor.key)} on ${short(r.host.id)} failed`);
  return status(running);
}

/** Capabilities whose provider runs on a host because this application had it started there. */
const startedFor = (h: ObservedHost, appName: string): string[] => Object.entries(h.providerApps).flatMap(([id, apps]) => (apps.includes(appName) ? [id] : []));

/**
 * Providers where the labels say. A provider the host already runs for other applications is
 * claimed too (so it outlives them while this one wants it); one from the host's own manifest
 * is used as it is and never claimed, so no application stops it. A provider this application
 * had started where it no longer wants one (undeploy, a version without it, labels that no
 * longer match) is released; the host stops it once no application wants it.
 */
function planProviders(app: DesiredApp, input: PlanInput, issue: (c: Command) => void, problems: string[]): void {
  const desired = app.undeployed ? [] : app.providers;
  for (const p of desired) {
    const hosts = input.hosts.filter((h) => matches(h.labels, p.on));
    if (hosts.length === 0) problems.push(`provider ${p.capability}: no host matches ${labelText(p.on)}`);
    for (const h of hosts) {
      const apps = h.providerApps[p.capability];
      if (!h.providers.includes(p.capability) || (apps !== undefined && !apps.includes(app.name)))
        issue({ kind: "start_provider", hostId: h.id, capabilityId: p.capability, app: app.name });
    }
  }
  for (const h of input.hosts) {
    for (const capabilityId of startedFor(h, app.name)) {
      if (!desired.some((p) => p.capability === capabilityId && matches(h.labels, p.on)))
        issue({ kind: "stop_provider", hostId: h.id, capabilityId, app: app.name });
    }
  }
}

/**
 * Links this application wants are put with it as their owner (taking over one made by hand
 * under the same name); a link another deployed application owns is left to it. Only links
 * this application owns are ever deleted: one made by hand on its actor stays.
 */
function planLinks(app: DesiredApp, input: PlanInput, round: AppRound, elsewhere: Elsewhere): void {
  const desired = app.undeployed ? [] : app.links;
  const { owner } = round;
  for (const d of desired) {
    const first = round.claimants.link(d);
    if (first !== undefined && first !== app.name) {
      round.conflict(`link ${round.name(d.actorKey)} -> ${d.capabilityId} '${d.binding}'`, first);
      continue;
    }
    const stored = input.links.find((l) => sameLink(l, d));
    const current =
      stored &&
      stored.owner?.app === owner.app &&
      stored.owner.version === owner.version &&
      JSON.stringify(Object.entries(stored.values).sort()) === JSON.stringify(Object.entries(d.values).sort());
    if (!current) round.issue({ kind: "put_link", link: d, owner });
  }
  for (const l of input.links) {
    if (l.owner?.app === app.name && !desired.some((d) => sameLink(l, d)) && !elsewhere.links.some((d) => sameLink(l, d)))
      round.issue({ kind: "delete_link", actorKey: l.actorKey, capabilityId: l.capabilityId, binding: l.binding });
  }
}
