/** The dashboard API's JSON, as the page reads it (the server's Overview and LatticeEvent). */
export interface ActorRow {
  key: string;
  name: string | null;
  instances: number;
  state: string;
  reason: string | null;
  caps: string[];
  issuer: string;
  tags: string[];
  version?: string;
  /** Seconds since the epoch; absent = never expires. */
  expires?: number;
  inFlight: number;
  /** The application that placed it; absent: started by hand (unmanaged). */
  owner?: Owner;
}

export interface Owner {
  app: string;
  version: string;
}

export interface Host {
  id: string;
  lattice: string;
  labels: Record<string, string>;
  version: string;
  uptimeSeconds: number;
  heartbeatMs: number;
  providers: string[];
  actors: Array<{ key: string; instances: number; state: string; invocations: number }>;
  inventory?: {
    actors: ActorRow[];
    providers: Array<{
      capabilityId: string;
      name: string;
      apps?: string[];
      bindings: Array<{ actorKey: string; binding: string; status: { state: string; reason?: string } }>;
    }>;
  };
  error?: string;
}

export interface Link {
  actorKey: string;
  capabilityId: string;
  binding: string;
  values: Record<string, string>;
  owner?: Owner;
}

/** A deployed bundle (src/ui/overview.ts BundleRow). */
export interface BundleRow {
  identifier: string;
  appVersion: string;
  digest: string;
  routes: string[];
  schedules: string[];
  edges: string[];
  scheduler?: string;
  functions: Array<{ name: string; running: number; desired: number }>;
  problems: string[];
  /** Time per step, sampled runs merged over its edge hosts; absent from dashboards of earlier versions. */
  steps?: Array<{ target: string; step: number; what: string; count: number; meanMs: number; maxMs: number }>;
}

export interface AppRow {
  name: string;
  version: string;
  undeployed: boolean;
  /** Absent from dashboards of earlier versions. */
  bundles?: BundleRow[];
  status?: {
    phase: string;
    problems: string[];
    notes?: string[];
    pending: string[];
    conflicts?: string[];
    /** The server's check of the status's signature (absent: not checked, or an open lattice's plain status). */
    proof?: Proof;
    actors: Array<{
      key: string;
      name: string | null;
      desiredReplicas: number;
      running: Array<{ hostId: string; instances: number; state: string; current: boolean }>;
    }>;
  };
}

export interface Overview {
  lattice: string;
  generatedAt: string;
  hosts: Host[];
  links: Link[];
  apps: AppRow[];
}

export interface LatticeEvent {
  type: string;
  hostId: string;
  time: string;
  data: Record<string, unknown>;
  /** Heartbeats: the server's check of the host's proof. */
  proof?: Proof;
}

export type Proof = { ok: true; signer: string } | { ok: false; reason: string; detail: string };
