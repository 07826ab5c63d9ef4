/**
 * The routes of an application's bundles, pure like planner.ts: every host matching a
 * bundle's `edge` labels serves its routes (start_bundle), and a host serving routes this
 * application placed that it no longer wants there stops them (stop_bundle). Routes started
 * by hand (no owner) are left alone. The bundle's functions are ordinary desired actors
 * (placed, scaled and healed by the planner), each carrying the bundle's digest.
 */
import type { Owner } from "../lattice/wire/ownership.js";
import type { AppStatus, DesiredApp, ObservedHost } from "./app-types.js";

/** Serve a bundle's routes on an edge host, or stop serving them. */
export type BundleCommand =
  | {
      kind: "start_bundle";
      hostId: string;
      digest: string;
      identifier: string;
      port: number;
      listen?: string;
      messaging?: Record<string, string>;
      schedules: boolean;
      owner: Owner;
    }
  | { kind: "stop_bundle"; hostId: string; digest: string; identifier: string };

type BundleStatus = NonNullable<AppStatus["bundles"]>[number];

const matches = (labels: Record<string, string>, wanted: Record<string, string>): boolean => Object.entries(wanted).every(([k, v]) => labels[k] === v);
const labelText = (labels: Record<string, string>): string =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(",") || "(any host)";

export function planBundles(
  app: DesiredApp,
  hosts: readonly ObservedHost[],
  owner: Owner,
  issue: (c: BundleCommand) => void,
): { statuses: BundleStatus[]; runningOwned: boolean } {
  const desired = app.undeployed ? [] : (app.bundles ?? []);
  const statuses = desired.map((b): BundleStatus => {
    const edges = hosts.filter((h) => matches(h.labels, b.edge));
    const serving = edges.filter((h) => h.bundles?.some((r) => r.digest === b.digest));
    const problems = edges.length === 0 ? [`bundle ${b.identifier}: no host matches ${labelText(b.edge)} to serve its routes`] : [];
    const scheduling = [...edges].sort((x, y) => x.id.localeCompare(y.id));
    const scheduler = (scheduling.find((h) => h.bundles?.some((r) => r.digest === b.digest && r.schedules)) ?? scheduling[0])?.id;
    for (const h of edges) {
      const running = h.bundles?.find((r) => r.digest === b.digest);
      const schedules = h.id === scheduler;
      if (!running || running.owner?.app !== owner.app || running.owner.version !== owner.version || (running.schedules ?? false) !== schedules)
        issue({
          kind: "start_bundle",
          hostId: h.id,
          digest: b.digest,
          identifier: b.identifier,
          port: b.port,
          ...(b.listen !== undefined && { listen: b.listen }),
          ...(b.messaging !== undefined && { messaging: b.messaging }),
          schedules,
          owner,
        });
    }
    const status = { identifier: b.identifier, appVersion: b.appVersion, digest: b.digest, edges: serving.map((h) => h.id), problems };
    return scheduler === undefined ? status : { ...status, scheduler };
  });
  let runningOwned = false;
  for (const h of hosts) {
    for (const r of h.bundles ?? []) {
      if (r.owner?.app !== app.name) continue;
      runningOwned = true;
      const wanted = desired.some((b) => b.digest === r.digest && matches(h.labels, b.edge));
      if (!wanted)
        issue({
          kind: "stop_bundle",
          hostId: h.id,
          digest: r.digest,
          identifier: (app.bundles ?? []).find((b) => b.digest === r.digest)?.identifier ?? r.digest.slice(0, 12),
        });
    }
  }
  return { statuses, runningOwned };
}
