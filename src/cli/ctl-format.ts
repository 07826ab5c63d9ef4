/** Human-readable output of `wactor ctl`: short tables, secrets masked. */
import type { ActorClaims } from "../claims/types.js";
import { maskValues } from "../lattice/wire/mask.js";
import {
  ownerText,
  type Proof,
  type HostSummary,
  type Inventory,
  type LatticeEvent,
  type LatticeState,
  type Link,
  type LinkPutResult,
} from "../lattice/mod.js";

export const maskLink = (link: Link): Link => ({ ...link, values: maskValues(link.values) });

const kv = (values: Readonly<Record<string, string>>): string =>
  Object.entries(values)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ") || "-";

function duration(seconds: number): string {
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  return `${Math.round(seconds / 3600)}h`;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n") + "\n";
}

export function formatHosts(hosts: HostSummary[]): string {
  if (hosts.length === 0) return "no host answered\n";
  return table(
    ["HOST", "LABELS", "UPTIME", "VERSION", "ACTORS", "PROVIDERS"],
    hosts.map((h) => [h.id, kv(h.labels), duration(h.uptimeSeconds), h.version, String(h.actorKeys.length), h.providers.join(",") || "-"]),
  );
}

export function formatLatticeState(state: LatticeState): string {
  const where = `lattice ${state.lattice} on ${state.server.name} (nats-server ${state.server.version}${state.server.cluster ? `, cluster ${state.server.cluster}` : ", no cluster"}${state.server.jsDomain ? `, JetStream domain ${state.server.jsDomain}` : ""})`;
  if (state.buckets.length === 0) return `${where}\nno bucket yet (no host has joined)\n`;
  const rows = state.buckets.map((b) => [
    b.bucket,
    b.kind,
    String(b.replicas),
    `${b.current}/${b.replicas}`,
    b.leader ?? "-",
    b.reason ? `${b.state} (${b.reason})` : b.lagging.length ? `${b.state} (behind: ${b.lagging.join(",")})` : b.state,
  ]);
  return `${where}\n${table(["BUCKET", "KIND", "REPLICAS", "CURRENT", "LEADER", "STATE"], rows)}`;
}

export function formatInventory(inv: Inventory): string {
  const lines = [`host ${inv.host.id}  ${kv(inv.host.labels)}  up ${duration(inv.host.uptimeSeconds)}`, ""];
  lines.push(
    inv.actors.length === 0
      ? "no actors"
      : table(
          ["ACTOR", "KEY", "INSTANCES", "STATE", "CAPS", "APP"],
          inv.actors.map((a) => [
            a.name ?? "-",
            a.key,
            String(a.instances),
            a.reason ? `${a.state} (${a.reason})` : a.state,
            a.caps.join(",") || "-",
            ownerText(a.owner),
          ]),
        ).trimEnd(),
  );
  lines.push("");
  // Providers started for applications say so: an undeploy stops them, unlike the host's own.
  const startedFor = (p: Inventory["providers"][number]): string => (p.apps.length > 0 ? p.apps.join(",") : "-");
  const bindings = inv.providers.flatMap((p) =>
    p.bindings.length === 0
      ? [[p.capabilityId, p.name, startedFor(p), "-", "-", "-"]]
      : p.bindings.map((b) => [p.capabilityId, p.name, startedFor(p), b.actorKey, b.binding, b.status.state === "ok" ? "ok" : `failed: ${b.status.reason}`]),
  );
  lines.push(inv.providers.length === 0 ? "no providers" : table(["PROVIDER", "NAME", "APPS", "ACTOR", "BINDING", "STATUS"], bindings).trimEnd());
  return `${lines.join("\n")}\n`;
}

export function formatClaims(all: ActorClaims[]): string {
  if (all.length === 0) return "no actor has run in this lattice yet\n";
  return table(
    ["NAME", "SUBJECT", "ISSUER", "CAPS", "HASH"],
    all.map((c) => [c.name ?? "-", c.subject, c.issuer, c.caps.join(",") || "-", c.hash.slice(0, 16)]),
  );
}

export function formatLinks(links: Link[]): string {
  if (links.length === 0) return "no links\n";
  return table(
    ["ACTOR", "CAPABILITY", "BINDING", "APP", "VALUES"],
    links.map((l) => [l.actorKey, l.capabilityId, l.binding, ownerText(l.owner), kv(maskValues(l.values))]),
  );
}

export function formatLinkPut(result: LinkPutResult): string {
  const lines = [`link ${result.link.actorKey} -> ${result.link.capabilityId} '${result.link.binding}': ${result.stored ? "stored" : "REFUSED, not stored"}`];
  for (const v of result.validations) lines.push(`  host ${v.hostId}: ${v.ok ? "ok" : `${v.code}: ${v.detail}`}`);
  if (result.pending) lines.push(`  pending: ${result.pending}`);
  return `${lines.join("\n")}\n`;
}

export function formatEvent(e: LatticeEvent & { proof?: Proof }): string {
  const data = Object.entries(e.data)
    .filter(([, v]) => v !== undefined && typeof v !== "object")
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(" ");
  // A heartbeat whose proof fails: forged, or edited on the way.
  if (e.proof && !e.proof.ok) return `${e.time} ! ${e.type.padEnd(20)} host=${e.hostId.slice(0, 12)}… FORGED (${e.proof.reason}: ${e.proof.detail})\n`;
  const marker =
    e.type === "invocation_denied" ||
    e.type === "invocation_rejected" ||
    e.type === "state_rejected" ||
    e.type === "host_gone" ||
    e.type === "actor_failed" ||
    e.type === "link_failed"
      ? "!"
      : " ";
  return `${e.time} ${marker} ${e.type.padEnd(20)} host=${e.hostId.slice(0, 12)}… ${data}\n`;
}
