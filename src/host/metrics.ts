/**
 * Prometheus metrics of one host (prom-client): invocations, errors, denials, timeouts,
 * latency per actor and operation, instances and binding health. Fed by host events.
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { bindingHealth } from "./binding-health.js";
import type { Host } from "./host.js";

export class HostMetrics {
  readonly registry = new Registry();

  constructor(host: Host) {
    const actorName = (key: string): string => host.actorInfo(key)?.name ?? key;
    const invocations = new Counter({
      name: "wactor_invocations_total",
      help: "Invocations by actor, operation and outcome (ok or error code)",
      labelNames: ["actor", "operation", "outcome"],
      registers: [this.registry],
    });
    const latency = new Histogram({
      name: "wactor_invocation_seconds",
      help: "Invocation latency by actor and operation",
      labelNames: ["actor", "operation"],
      buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10],
      registers: [this.registry],
    });
    const denials = new Counter({
      name: "wactor_denied_total",
      help: "Host calls denied by the authorizer",
      labelNames: ["actor", "capability"],
      registers: [this.registry],
    });
    const replaced = new Counter({
      name: "wactor_instances_replaced_total",
      help: "Instances replaced after a deadline (timeout), trap or crash",
      labelNames: ["actor", "reason"],
      registers: [this.registry],
    });
    new Gauge({
      name: "wactor_actor_instances",
      help: "Running instances per actor",
      labelNames: ["actor"],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const actor of host.listActors()) this.set({ actor: actor.name ?? actor.key }, actor.instances);
      },
    });
    new Gauge({
      name: "wactor_binding_up",
      help: "1 when a binding is healthy, 0 when it failed or its provider is missing",
      labelNames: ["actor", "capability", "binding"],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const b of host.listBindings()) {
          const health = bindingHealth(host.provider(b.capabilityId), b);
          this.set({ actor: actorName(b.actorKey), capability: b.capabilityId, binding: b.binding }, health.up ? 1 : 0);
        }
      },
    });
    host.events.on("invocation_done", (e) => {
      const actor = actorName(e.actorKey);
      invocations.inc({ actor, operation: e.operation, outcome: e.errorCode ?? "ok" });
      latency.observe({ actor, operation: e.operation }, e.seconds);
    });
    host.events.on("invocation_denied", (d) => denials.inc({ actor: d.actorName ?? d.actorKey, capability: d.capabilityId }, d.count));
    const rejected = new Counter({
      name: "wactor_lattice_rejected_total",
      help: "Lattice invocations (reason: unsigned, tampered, expired, replayed, untrusted-issuer, …), control requests and stored entries (reason: <scope>:<why>, e.g. control:unsigned, links:bad-signature, apps:stale) refused",
      labelNames: ["reason"],
      registers: [this.registry],
    });
    host.events.on("invocation_rejected", (e) => rejected.inc({ reason: e.reason }));
    host.events.on("lattice_rejected", (e) => rejected.inc({ reason: e.reason }));
    host.events.on("instance_replaced", (e) => replaced.inc({ actor: actorName(e.actorKey), reason: e.reason }));
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
