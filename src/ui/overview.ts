/**
 * The dashboard's view of a lattice in one JSON document: hosts with their inventories,
 * links with secret-looking values masked, applications with their status and bundles.
 */
import type { AppClient } from "../deploy/app-client.js";
import type { AppStatus, DesiredApp } from "../deploy/app-types.js";
import { mergeStepTimings, type StepTiming } from "../directive/step-timings.js";
import { maskValues } from "../lattice/wire/mask.js";
import type { HostSummary, Inventory, Link } from "../lattice/mod.js";

export interface Overview {
  lattice: string;
  generatedAt: string;
  hosts: Array<HostSummary & { inventory: Inventory | undefined; error?: string }>;
  links: Link[];
  apps: Array<{ name: string; version: string; undeployed: boolean; status: AppStatus | undefined; bundles: BundleRow[] }>;
}

/** A bundle an application deployed: what it serves, where its routes and functions run now. */
export interface BundleRow {
  identifier: string;
  appVersion: string;
  digest: string;
  routes: string[];
  schedules: string[];
  /** Hosts serving its routes now; the one running its schedules. */
  edges: string[];
  scheduler: string | undefined;
  functions: Array<{ name: string; running: number; desired: number }>;
  problems: string[];
  /** Time per step, from every host serving its routes (sampled runs, merged). */
  steps: StepTiming[];
}

function bundleRows(app: DesiredApp, status: AppStatus | undefined, hosts: readonly HostSummary[]): BundleRow[] {
  return (app.bundles ?? []).map((b) => {
    const observed = status?.bundles?.find((o) => o.digest === b.digest);
    const functions = app.actors
      .filter((a) => a.bundle === b.digest)
      .map((a) => {
        const running = status?.actors.find((s) => s.key === a.key)?.running.filter((r) => r.state === "running").length ?? 0;
        return { name: a.name ?? a.key, running, desired: a.replicas };
      });
    return {
      identifier: b.identifier,
      appVersion: b.appVersion,
      digest: b.digest,
      routes: b.routes ?? [],
      schedules: b.schedules ?? [],
      edges: observed?.edges ?? [],
      scheduler: observed?.scheduler,
      functions,
      problems: observed?.problems ?? [],
      steps: mergeStepTimings(hosts.flatMap((h) => h.bundles?.filter((r) => r.digest === b.digest).map((r) => r.steps ?? []) ?? [])),
    };
  });
}

export async function buildOverview(apps: AppClient): Promise<Overview> {
  const control = apps.control;
  const [hosts, links, list] = await Promise.all([control.getHosts(800, 150), control.getLinks(), apps.list()]);
  const withInventory = await Promise.all(
    hosts.map(async (h) => {
      try {
        return { ...h, inventory: await control.getInventory(h.id) };
      } catch (err) {
        return { ...h, inventory: undefined, error: (err as Error).message };
      }
    }),
  );
  return {
    lattice: control.subjects.lattice,
    generatedAt: new Date().toISOString(),
    hosts: withInventory,
    links: links.map((l) => ({ ...l, values: maskValues(l.values) })),
    apps: list.map(({ app, status }) => ({
      name: app.name,
      version: app.version,
      undeployed: app.undeployed,
      status,
      bundles: bundleRows(app, status, hosts),
    })),
  };
}
