/** Desired and observed state of applications, shared by the store, the planner, the reconciler and the CLI. */
import type { LifecycleState } from "../host/lifecycle.js";
import type { Owner } from "../lattice/wire/ownership.js";
import type { Proof } from "../lattice/trust/record-proof.js";

export interface DesiredActor {
  key: string;
  name: string | undefined;
  /** SHA-256 of the exact signed module (its name in the lattice's object store). */
  digest: string;
  replicas: number;
  instances: number;
  spread: Array<{ labels: Record<string, string>; weight: number }>;
  /** A bundle's function: the digest of the sealed bundle it comes out of (the host checks the seal). */
  bundle?: string;
}

/** A bundle's routes on edge hosts; its functions are DesiredActors with `bundle` set to its digest. */
export interface DesiredBundle {
  identifier: string;
  appVersion: string;
  /** SHA-256 (upper hex) of the sealed archive: its name in the object store. */
  digest: string;
  /** Labels of the hosts serving its routes (every matching host does). */
  edge: Record<string, string>;
  port: number;
  listen?: string;
  /** wascc:messaging values for its stream handlers (served by the edge hosts, in one queue group). */
  messaging?: Record<string, string>;
  /** What its Directive serves, for people (dashboard): `POST /hello`, `stream greet.*`; schedule names. */
  routes?: string[];
  schedules?: string[];
}

export interface DesiredLink {
  actorKey: string;
  capabilityId: string;
  binding: string;
  values: Record<string, string>;
}

/** One version of an application as deployed (a JetStream KV revision). */
export interface DesiredApp {
  name: string;
  version: string;
  deployedAt: string;
  /** Set by undeploy: everything the application owns is stopped. */
  undeployed: boolean;
  actors: DesiredActor[];
  providers: Array<{ capability: string; on: Record<string, string> }>;
  links: DesiredLink[];
  /** Bundles whose routes the application serves; absent in versions stored before bundles. */
  bundles?: DesiredBundle[];
  /** Every actor key any version of the application ran: what it may stop. */
  owned: string[];
}

/** `conflict`: another deployed application owns an actor or link this one wants (it is left to that one). */
export type AppPhase = "reconciling" | "deployed" | "failed" | "conflict" | "undeploying" | "undeployed";

export interface ActorStatus {
  key: string;
  name: string | undefined;
  desiredReplicas: number;
  running: Array<{ hostId: string; instances: number; state: LifecycleState; current: boolean }>;
  /** Why desired and actual differ, in words. */
  problems: string[];
  /** Differences that do not block (a spread met with borrowed hosts). */
  notes: string[];
}

export interface AppStatus {
  name: string;
  version: string;
  /** The deployment this status is about (the desired state's `deployedAt`). */
  deployedAt: string;
  phase: AppPhase;
  actors: ActorStatus[];
  problems: string[];
  notes: string[];
  /** What the reconciler is doing about it. */
  pending: string[];
  /** Per bundle: the hosts serving its routes now (absent in statuses of earlier versions). */
  bundles?: Array<{ identifier: string; appVersion: string; digest: string; edges: string[]; scheduler?: string; problems: string[] }>;
  /** What another deployed application owns and this one wants too, in words (absent in statuses of earlier versions). */
  conflicts?: string[];
  /** The applications named in `conflicts`. */
  conflictsWith?: string[];
  updatedAt: string;
  reconciler: string;
  /** Set by a reader that checks statuses (RecordProofs), never stored: whose signature it carries, or why it fails. */
  proof?: Proof;
}

/** What the reconciler sees of one host (from its ping summary). */
export interface ObservedHost {
  id: string;
  labels: Record<string, string>;
  providers: string[];
  /** Capability -> applications its provider was started for here (HostSummary.providerApps). */
  providerApps: Record<string, string[]>;
  actors: Array<{ key: string; instances: number; state: LifecycleState; digest: string }>;
  /** Actor key -> the application that placed it there (HostSummary.actorApps); undefined: a host of an earlier version, which records none. */
  actorApps: Record<string, Owner> | undefined;
  /** Bundles whose routes it serves (HostSummary.bundles; none on hosts of earlier versions). */
  bundles?: Array<{ digest: string; owner?: Owner; schedules?: boolean }>;
}
