/**
 * `wactor up --lattice`: the host joins a lattice after its providers and actors started,
 * and the manifest's bindings become lattice links, each validated by the hosts whose
 * provider serves it. Startup fails, leaving nothing behind, when one is refused.
 */
import type { Logger } from "pino";
import type { HostManifest } from "../deploy/host-manifest.js";
import { WactorError, toWactorError } from "../errors.js";
import { parseDurationSeconds } from "./duration.js";
import type { Host } from "../host/host.js";
import { ControlClient } from "../lattice/control/control-client.js";
import { LatticeHost } from "../lattice/lattice-host.js";
import { runReconciler, type RunningReconciler } from "../deploy/run-reconciler.js";
import { natsAccessFromFlags, type NatsFlags } from "./nats-flags.js";

export interface LatticeFlags extends NatsFlags {
  lattice?: string;
  latticeName: string;
  clusterSeed?: string;
  trustedCluster?: string[];
  heartbeatMs?: string;
  reconcileMs?: string;
  trustedClustersFile?: string;
  invocationAuth?: string;
  sessionRotate?: string;
  trustedOperator?: string[];
  closeQueries?: boolean;
}

export async function joinFromFlags(host: Host, manifest: HostManifest, flags: LatticeFlags, logger: Logger): Promise<LatticeHost> {
  const heartbeatMs = flags.heartbeatMs === undefined ? undefined : Number(flags.heartbeatMs);
  if (heartbeatMs !== undefined && (!Number.isInteger(heartbeatMs) || heartbeatMs < 50)) {
    throw new WactorError("WACTOR_ERR_BAD_ARGUMENT", `--heartbeat-ms '${flags.heartbeatMs}' must be an integer of at least 50`);
  }
  const clusterSeed = flags.clusterSeed ?? process.env.WACTOR_CLUSTER_SEED;
  const invocationAuth = flags.invocationAuth ?? "session";
  if (invocationAuth !== "session" && invocationAuth !== "jwt")
    throw new WactorError("WACTOR_ERR_BAD_ARGUMENT", `--invocation-auth '${invocationAuth}'; expected session or jwt`);
  const rotateSeconds = parseDurationSeconds(flags.sessionRotate ?? "1h");
  if (rotateSeconds < 10) throw new WactorError("WACTOR_ERR_BAD_ARGUMENT", `--session-rotate '${flags.sessionRotate}' must be at least 10s`);
  return LatticeHost.join(host, {
    url: flags.lattice!,
    lattice: flags.latticeName,
    labels: manifest.labels,
    logger,
    ...(clusterSeed !== undefined && { clusterSeed }),
    ...(flags.trustedCluster !== undefined && { trustedClusters: flags.trustedCluster }),
    ...(heartbeatMs !== undefined && { heartbeatMs }),
    access: natsAccessFromFlags(flags),
    ...(flags.trustedClustersFile !== undefined && { trustedClustersFile: flags.trustedClustersFile }),
    invocationAuth,
    sessionRotateMs: rotateSeconds * 1000,
    // The manifest's trusted operators add to the flag's (either alone is enough).
    trustedOperators: [...new Set([...(flags.trustedOperator ?? []), ...manifest.trustedOperators])],
    closeQueries: flags.closeQueries ?? false,
  });
}

/** Puts the manifest's bindings as lattice links; on the first refusal takes back those it put, and rejects. */
export async function putManifestLinks(host: Host, manifest: HostManifest, flags: LatticeFlags, lattice: LatticeHost): Promise<void> {
  if (manifest.bindings.length === 0) return;
  // The host's own manifest: its links are signed with its cluster key, which every host of the lattice trusts.
  const client = await ControlClient.connect({
    url: flags.lattice!,
    lattice: flags.latticeName,
    access: natsAccessFromFlags(flags),
    signer: lattice.signer,
    plainEntries: !lattice.guard.trust.enforcing,
  });
  const stored: Array<{ actorKey: string; capabilityId: string; binding: string }> = [];
  try {
    for (const binding of manifest.bindings) {
      const actorKey = host.resolveActor(binding.actor) ?? binding.actor;
      const result = await client.putLink({ actor: actorKey, capabilityId: binding.capability, binding: binding.binding, values: binding.values });
      const refusal = result.validations.find((v) => !v.ok);
      if (result.stored) stored.push({ actorKey, capabilityId: binding.capability, binding: result.link.binding });
      if (refusal) {
        const leftBehind = await takeBack(client, stored);
        throw new WactorError(
          "WACTOR_ERR_BINDING_FAILED",
          `binding ${binding.actor} -> ${binding.capability} '${result.link.binding}' refused by host ${refusal.hostId}: ${refusal.code}: ${refusal.detail}${leftBehind}`,
        );
      }
    }
  } finally {
    await client.close();
  }
}

/** Deletes the links put so far; says which could not be deleted (they stay in the lattice), or "". */
async function takeBack(client: ControlClient, links: Array<{ actorKey: string; capabilityId: string; binding: string }>): Promise<string> {
  const failed: string[] = [];
  for (const link of links) {
    await client.deleteLink(link.actorKey, link.capabilityId, link.binding).catch((err: unknown) => {
      failed.push(`${link.actorKey} -> ${link.capabilityId} '${link.binding}' (${toWactorError(err).message})`);
    });
  }
  return failed.length === 0 ? "" : `; these links it put could not be taken back and stay stored: ${failed.join(", ")}`;
}

/** Every lattice host runs a reconciler; the KV lease lets exactly one of them act. */
export function startReconcilerFromFlags(lattice: LatticeHost, flags: LatticeFlags, logger: Logger): Promise<RunningReconciler> {
  const intervalMs = Number(flags.reconcileMs ?? 1000);
  if (!Number.isInteger(intervalMs) || intervalMs < 50)
    throw new WactorError("WACTOR_ERR_BAD_ARGUMENT", `--reconcile-ms '${flags.reconcileMs}' must be an integer of at least 50`);
  return runReconciler({
    url: flags.lattice!,
    lattice: flags.latticeName,
    holder: lattice.hostId,
    logger,
    intervalMs,
    access: natsAccessFromFlags(flags),
    signer: lattice.signer,
    guard: lattice.guard,
  });
}
