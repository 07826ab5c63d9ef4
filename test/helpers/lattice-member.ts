/** An in-process lattice host for tests: a Host with built-in providers, joined to a lattice. */
import type { Logger } from "pino";
import { createBuiltinProvider } from "../../capabilities/mod.js";
import type { KeyPair } from "../../src/claims/nkeys.js";
import type { CapabilityProvider } from "../../src/provider/contract.js";
import { Host } from "../../src/host/host.js";
import { LatticeHost, type NatsAccess } from "../../src/lattice/mod.js";
import type { Tracing } from "../../src/tracing/mod.js";
import { testLogger } from "./test-logger.js";

export interface Member {
  host: Host;
  lattice: LatticeHost;
}

export interface MemberOptions {
  labels?: Record<string, string>;
  capabilities?: readonly string[];
  /** Providers made by the test (options of its own), added like `capabilities` before joining. */
  providers?: readonly CapabilityProvider[];
  lattice?: string;
  cluster: KeyPair;
  instances?: number;
  heartbeatMs?: number;
  access?: NatsAccess;
  tracing?: Tracing;
  invocationAuth?: "session" | "jwt";
  /** Operator keys whose signed commands, links and applications the host acts on (none: an open lattice). */
  trustedOperators?: string[];
  logger?: Logger;
}

export async function joinMember(natsUrl: string, options: MemberOptions): Promise<Member> {
  const logger =
    options.logger ??
    testLogger(
      `host ${Object.entries(options.labels ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(",")}`,
    );
  const host = new Host({ logger, actorDefaults: { instances: options.instances ?? 2 }, ...(options.tracing && { tracing: options.tracing }) });
  for (const cap of options.capabilities ?? []) await host.addProvider(createBuiltinProvider(cap));
  for (const provider of options.providers ?? []) await host.addProvider(provider);
  const lattice = await LatticeHost.join(host, {
    url: natsUrl,
    lattice: options.lattice ?? "default",
    clusterSeed: options.cluster.seed,
    labels: options.labels ?? {},
    heartbeatMs: options.heartbeatMs ?? 200,
    logger,
    ...(options.access && { access: options.access }),
    ...(options.invocationAuth && { invocationAuth: options.invocationAuth }),
    ...(options.trustedOperators && { trustedOperators: options.trustedOperators }),
  });
  return { host, lattice };
}

/** Leaves the lattice's queues, drains the host, disconnects. */
export async function leaveMember(m: Member | undefined): Promise<void> {
  if (!m) return;
  await m.lattice.stopServing();
  await m.host.shutdown();
  await m.lattice.close();
}
