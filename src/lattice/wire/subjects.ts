/**
 * Every NATS subject and JetStream bucket of one lattice, in one place. All are namespaced
 * by the lattice name, so two lattices on one NATS server never see each other.
 */
import { createHash } from "node:crypto";

const SAFE_TOKEN = /^[A-Za-z0-9_:-]{1,64}$/;

/**
 * A subject token for arbitrary text: kept as is when NATS-safe (no '.', '*', '>', spaces),
 * otherwise a short hash, so a binding name like "a.b" can never reach into another subject.
 */
export function subjectToken(text: string): string {
  return SAFE_TOKEN.test(text) ? text : `h-${createHash("sha256").update(text).digest("hex").slice(0, 32)}`;
}

/** One-argument subject builders run on every call with a handful of distinct inputs: each is built once. */
function remembered(build: (text: string) => string, capacity = 4096): (text: string) => string {
  const known = new Map<string, string>();
  return (text) => {
    let subject = known.get(text);
    if (subject === undefined) {
      subject = build(text);
      if (known.size >= capacity) known.clear();
      known.set(text, subject);
    }
    return subject;
  };
}

/** JetStream bucket names allow [A-Za-z0-9_-] only. */
function bucketToken(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]/g, "_");
}

export interface LatticeSubjects {
  readonly lattice: string;
  /** Invocations of an actor; every host running it listens in one queue group. */
  actor(actorKey: string): string;
  /** Calls for a capability under one link (actor, binding); hosts whose provider holds the link listen. */
  provider(capabilityId: string, binding: string, actorKey: string): string;
  /** Session-authenticated invocations addressed to one host (any target it serves). */
  hostInvocations(hostId: string): string;
  /** Signed session announcements of every host. */
  readonly sessions: string;
  /** What each host serves, so that senders can address session invocations. */
  readonly routes: string;
  /** Control requests every host answers (ping, link validation). */
  control(verb: string): string;
  /** Control requests one host answers. */
  hostControl(hostId: string, verb: string): string;
  /** Events a host publishes (heartbeats, actor and provider changes, denials). */
  event(type: string): string;
  /** All events, for watchers. */
  readonly allEvents: string;
  readonly linksBucket: string;
  readonly claimsBucket: string;
  readonly actorsBucket: string;
  /** Desired state of applications (versioned), their status, and the reconciler's lease. */
  readonly appsBucket: string;
  readonly appStatusBucket: string;
  readonly leaseBucket: string;
}

/** The lattice a host or client joins when none is named. */
export const DEFAULT_LATTICE = "default";

export function latticeSubjects(lattice: string): LatticeSubjects {
  const root = `wactor.${subjectToken(lattice)}`;
  const bucket = `wactor_${bucketToken(lattice)}`;
  return {
    lattice,
    actor: remembered((actorKey) => `${root}.actor.${subjectToken(actorKey)}`),
    provider: (capabilityId, binding, actorKey) => `${root}.prov.${subjectToken(capabilityId)}.${subjectToken(binding)}.${subjectToken(actorKey)}`,
    hostInvocations: remembered((hostId) => `${root}.inv.${subjectToken(hostId)}`),
    sessions: `${root}.sess.announce`,
    routes: `${root}.sess.routes`,
    control: (verb) => `${root}.ctl.${verb}`,
    hostControl: (hostId, verb) => `${root}.ctl.host.${subjectToken(hostId)}.${verb}`,
    event: (type) => `${root}.evt.${type}`,
    allEvents: `${root}.evt.>`,
    linksBucket: `${bucket}_links`,
    claimsBucket: `${bucket}_claims`,
    actorsBucket: `${bucket}_actors`,
    appsBucket: `${bucket}_apps`,
    appStatusBucket: `${bucket}_app_status`,
    leaseBucket: `${bucket}_leases`,
  };
}
