/** Typed host events: everything observable about the host's state, for logs, ctl and UI. */
import { EventEmitter } from "node:events";
import type { Denial } from "./authorizer.js";
import type { LifecycleState } from "./lifecycle.js";

export interface HostEventMap {
  actor_state: [{ actorKey: string; name: string | undefined; state: LifecycleState; reason: string | undefined }];
  instance_replaced: [{ actorKey: string; reason: "deadline" | "trap" | "crash" }];
  invocation_denied: [Denial];
  provider_started: [{ capabilityId: string; name: string }];
  provider_stopped: [{ capabilityId: string; name: string }];
  /** Emitted only while someone listens (metrics): it costs a timer read per invocation. */
  invocation_done: [{ actorKey: string; operation: string; seconds: number; errorCode: string | undefined }];
  /** A lattice invocation refused by its anti-forgery checks (emitted by the lattice, when joined). */
  invocation_rejected: [{ reason: string; fromHost: string }];
  /** A control request or stored entry the lattice refused to act on (reason `<scope>:<why>`). */
  lattice_rejected: [{ reason: string }];
  binding_changed: [{ actorKey: string; capabilityId: string; binding: string; change: "put" | "deleted" }];
}

export class HostEvents extends EventEmitter<HostEventMap> {}
