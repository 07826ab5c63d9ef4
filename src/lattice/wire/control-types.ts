/** The control interface's messages (JSON over NATS request/reply), shared by server and client. */
import type { StepTiming } from "../../directive/step-timings.js";
import type { ActorClaims } from "../../claims/types.js";
import type { LifecycleState } from "../../host/lifecycle.js";
import type { BindingStatus } from "../../provider/contract.js";
import type { Link, Owner } from "./ownership.js";

export interface HostSummary {
  /** Server key (`N…`) of the host: its id in the lattice. */
  id: string;
  lattice: string;
  labels: Record<string, string>;
  version: string;
  startedAt: string;
  uptimeSeconds: number;
  /** Cluster key that signs this host's invocations. */
  clusterKey: string;
  /** Module keys of the actors running there. */
  actorKeys: string[];
  /** Per running actor: instances, lifecycle state and the SHA-256 (upper hex) of the signed module it runs. */
  actors: Array<{ key: string; instances: number; state: LifecycleState; digest: string; invocations: number }>;
  providers: string[];
  /**
   * Capability -> the applications a provider was started for through `start_provider`.
   * Only these are stopped by the deployer; a provider from the host's manifest (or started
   * by an operator without an application) has no entry and is never stopped by one.
   */
  providerApps: Record<string, string[]>;
  /**
   * Actor key -> the application (and version) whose reconciler placed it here. An actor
   * without an entry was started by hand (or by the host's manifest): no application changes
   * or stops it. Absent altogether from hosts of earlier versions.
   */
  actorApps?: Record<string, Owner>;
  /** Bundles whose routes this host serves (functions reached wherever they run); absent from hosts of earlier versions. */
  bundles?: RunningBundle[];
  heartbeatMs: number;
  /** The host's signature over the rest of the summary, with its cluster key (host-record.ts). */
  proof?: string;
}

export interface InventoryActor {
  key: string;
  name: string | undefined;
  instances: number;
  state: LifecycleState;
  reason: string | undefined;
  caps: string[];
  /** The rest of the claims an operator checks: who signed it, which version, until when. */
  issuer: string;
  tags: string[];
  version: string | undefined;
  /** Expiry of the claims, seconds since the epoch; undefined = never. */
  expires: number | undefined;
  inFlight: number;
  /** The application that placed it here; absent: started by hand (unmanaged). */
  owner?: Owner;
}

export interface InventoryProvider {
  capabilityId: string;
  name: string;
  /** Applications it was started for (empty: from the host's manifest or an operator). */
  apps: string[];
  bindings: Array<{ actorKey: string; binding: string; status: BindingStatus }>;
}

export interface Inventory {
  host: HostSummary;
  actors: InventoryActor[];
  providers: InventoryProvider[];
}

export interface StartActorRequest {
  /** Module hash in the object store, a module key, or a claims name known to the lattice. */
  ref: string;
  /** A function of a bundle: the bundle's digest in the object store; `ref` is then the module's digest in it. */
  bundle?: string;
  instances?: number;
  /** Set by the reconciler: the application this placement belongs to. */
  owner?: Owner;
}

export interface StopActorRequest {
  key: string;
}

export interface UpdateActorRequest {
  /** Object-store name of the new signed module (same subject as the running actor). */
  ref: string;
  /** As in StartActorRequest: the module comes from this sealed bundle. */
  bundle?: string;
  owner?: Owner;
}

/** Serve a stored bundle's routes on this host (its functions run wherever the lattice places them). */
export interface StartBundleRequest {
  /** SHA-256 (upper hex) of the sealed archive: its name in the object store. */
  digest: string;
  port: number;
  /** Address to listen on (default 127.0.0.1). */
  listen?: string;
  /** wascc:messaging values (URL, …) for its `type: stream` handlers; without them they are not served. */
  messaging?: Record<string, string>;
  /** Run the bundle's schedules here (the deployer asks one edge host); default false. Sent again, it switches them on or off. */
  schedules?: boolean;
  owner?: Owner;
}

export interface StopBundleRequest {
  digest: string;
}

export interface RunningBundle {
  digest: string;
  identifier: string;
  appVersion: string;
  /** Where its routes listen here. */
  address: { host: string; port: number } | undefined;
  /** Whether this host was asked to run its schedules. */
  schedules: boolean;
  /** The application that placed it (none: started by hand). */
  owner?: Owner;
  /** Time per step of its routes, schedules and stream handlers on this host, sampled (src/directive/step-timings.ts). */
  steps?: StepTiming[];
}

export interface StartProviderRequest {
  capabilityId: string;
  /** The application that wants it (the reconciler says which); recorded so undeploy can stop it. */
  app?: string;
}

export interface StopProviderRequest {
  capabilityId: string;
  /**
   * Set by the reconciler: releases this application's claim only, and the provider stops
   * once no application wants it. Absent (an operator): the provider stops whatever started it.
   */
  app?: string;
}

export interface ProviderCommandResult {
  hostId: string;
  capabilityId: string;
  /** Whether the provider runs after the command. */
  running: boolean;
  /** Applications it still runs for. */
  apps: string[];
}

export interface ScaleActorRequest {
  key: string;
  instances: number;
  /** Set by the reconciler: the placement is (now) this application's; the same count only records that. */
  owner?: Owner;
}

/** One provider host's answer to a link put: the binding was made there, or why not. */
export interface LinkValidation {
  hostId: string;
  ok: boolean;
  code?: string;
  detail?: string;
}

export interface LinkPutResult {
  link: Link;
  /** Stored in the lattice (every provider host that answered accepted it). */
  stored: boolean;
  validations: LinkValidation[];
  /** Set when no host runs a provider for the capability yet. */
  pending?: string;
}

export type ControlReply<T> = { ok: true; result: T } | { ok: false; code: string; detail: string };

export type LatticeEventType =
  | "host_started"
  | "host_stopped"
  | "host_heartbeat"
  | "host_gone"
  | "actor_started"
  | "actor_stopped"
  | "actor_failed"
  | "actor_updated"
  | "provider_started"
  | "provider_stopped"
  | "link_put"
  | "link_deleted"
  | "link_failed"
  | "invocation_denied"
  | "invocation_rejected"
  /** A control request or stored entry refused: unsigned, forged, stale or malformed (issue 20). */
  | "state_rejected";

export interface LatticeEvent {
  type: LatticeEventType;
  hostId: string;
  time: string;
  data: Record<string, unknown>;
}

export type { ActorClaims, Link, Owner };
