/**
 * The dashboard's view of a lattice in one JSON document: hosts with their inventories,
 * links with secret-looking values masked, applications with their status.
 */
import type { AppClient } from "../deploy/app-client.js";
import type { AppStatus } from "../deploy/app-types.js";
import { maskValues } from "../lattice/wire/mask.js";
import type { HostSummary, Inventory, Link } from "../lattice/mod.js";

export interface Overview {
  lattice: string;
  generatedAt: string;
  hosts: Array<HostSummary & { inventory: Inventory | undefined; error?: string }>;
  links: Link[];
  apps: Array<{ name: string; version: string; undeployed: boolean; status: AppStatus | undefined }>;
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
    apps: list.map(({ app, status }) => ({ name: app.name, version: app.version, undeployed: app.undeployed, status })),
  };
}
