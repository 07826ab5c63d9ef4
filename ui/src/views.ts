/** Renders each part of the overview; actions are passed in, so views stay free of I/O. */
import { h, labels, short, table } from "./dom.js";
import { sparkline } from "./sparkline.js";
import type { ActorRow, AppRow, Host, LatticeEvent, Link, Owner } from "./types.js";
export { bundlesView } from "./bundles-view.js";

/** `shop@1.2`, or `unmanaged` for what was made by hand (no application changes it). */
const ownerCell = (owner: Owner | undefined): HTMLElement =>
  h("td", { class: owner ? "owner" : "owner muted" }, owner ? `${owner.app}@${owner.version}` : "unmanaged");

export interface Actions {
  scale(hostId: string, key: string, name: string, instances: number): void;
  stop(hostId: string, key: string, name: string): void;
  deleteLink(link: Link): void;
}

const age = (ms: number | undefined): string => (ms === undefined ? "-" : ms < 1000 ? "<1 s" : `${Math.round(ms / 1000)} s`);
const uptime = (s: number): string => (s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${Math.round(s / 3600)} h`);

export function hostsView(hosts: Host[], heartbeatAge: (id: string) => number | undefined): HTMLElement {
  return table(
    ["host", "labels", "uptime", "heartbeat", "version", "actors", "providers"],
    hosts.map((host) => {
      const beat = heartbeatAge(host.id);
      const late = beat !== undefined && beat > host.heartbeatMs * 2;
      return h(
        "tr",
        { "data-host": host.id },
        h("td", {}, h("code", { title: host.id }, short(host.id))),
        h("td", {}, labels(host.labels)),
        h("td", {}, uptime(host.uptimeSeconds)),
        h("td", { class: late ? "stale" : undefined }, age(beat)),
        h("td", {}, host.version),
        h("td", {}, host.actors.length),
        h("td", {}, host.providers.join(", ") || "-"),
      );
    }),
    "no host answers in this lattice",
  );
}

/** Version, issuer, tags and expiry: the rest of what an operator checks in the claims. */
function claimsLine(actor: ActorRow): string {
  const parts = [actor.version ? `version ${actor.version}` : "", `issuer ${short(actor.issuer)}`, actor.tags.length ? `tags ${actor.tags.join(", ")}` : ""];
  parts.push(actor.expires === undefined ? "no expiry" : `expires ${new Date(actor.expires * 1000).toISOString().slice(0, 10)}`);
  return parts.filter(Boolean).join(" · ");
}

export function actorsView(hosts: Host[], rates: (hostId: string, key: string) => number[], actions: Actions): HTMLElement {
  const rows = hosts.flatMap((host) =>
    (host.inventory?.actors ?? []).map((actor) => {
      const name = actor.name ?? short(actor.key);
      const input = h("input", {
        class: "instances",
        type: "number",
        min: "1",
        max: "256",
        value: String(actor.instances),
        "aria-label": `instances of ${name}`,
      }) as HTMLInputElement;
      const series = rates(host.id, actor.key);
      return h(
        "tr",
        { "data-actor": actor.key, "data-host": host.id },
        h("td", {}, h("strong", {}, name)),
        h("td", {}, h("code", { title: actor.key }, short(actor.key))),
        h("td", {}, h("code", { title: host.id }, short(host.id))),
        h("td", { class: "claims" }, actor.caps.join(", ") || "-", h("div", { class: "muted" }, claimsLine(actor))),
        h("td", { class: "instances-count" }, actor.instances),
        h("td", { class: `state-${actor.state}`, title: actor.reason ?? "" }, actor.state),
        ownerCell(actor.owner),
        h("td", {}, sparkline(series), ` ${(series.at(-1) ?? 0).toFixed(1)}/s`),
        h(
          "td",
          {},
          input,
          " ",
          h("button", { type: "button", class: "scale", onclick: () => actions.scale(host.id, actor.key, name, Number(input.value)) }, "Scale"),
          " ",
          h("button", { type: "button", class: "danger stop", onclick: () => actions.stop(host.id, actor.key, name) }, "Stop"),
        ),
      );
    }),
  );
  return table(["actor", "key", "host", "claims: capabilities, version, issuer", "instances", "state", "application", "calls/s", ""], rows, "no actors run");
}

export function providersView(hosts: Host[]): HTMLElement {
  const rows = hosts.flatMap((host) =>
    (host.inventory?.providers ?? []).map((p) =>
      h(
        "tr",
        {},
        h("td", {}, p.capabilityId, p.apps?.length ? h("div", { class: "muted" }, `started for ${p.apps.join(", ")}`) : ""),
        h("td", {}, h("code", { title: host.id }, short(host.id))),
        h(
          "td",
          {},
          p.bindings.map((b) => `${short(b.actorKey)} '${b.binding}': ${b.status.state}${b.status.reason ? ` (${b.status.reason})` : ""}`).join("; ") || "-",
        ),
      ),
    ),
  );
  return table(["provider", "host", "bindings"], rows, "no providers run");
}

export function linksView(links: Link[], actorName: (key: string) => string, actions: Actions): HTMLElement {
  return table(
    ["actor", "capability", "binding", "application", "values", ""],
    links.map((link) =>
      h(
        "tr",
        { "data-link": `${link.actorKey}/${link.capabilityId}/${link.binding}` },
        h("td", {}, actorName(link.actorKey)),
        h("td", {}, link.capabilityId),
        h("td", {}, link.binding),
        ownerCell(link.owner),
        h(
          "td",
          {},
          Object.entries(link.values)
            .map(([k, v]) => `${k}=${v}`)
            .join(" ") || "-",
        ),
        h("td", {}, h("button", { type: "button", class: "danger", onclick: () => actions.deleteLink(link) }, "Delete")),
      ),
    ),
    "no links",
  );
}

export function appsView(apps: AppRow[]): HTMLElement {
  return table(
    ["application", "version", "phase", "desired vs actual", "why they differ"],
    apps.map((app) => {
      const s = app.status;
      const actual = (s?.actors ?? [])
        .map((a) => `${a.name ?? short(a.key)} ${a.running.length}/${a.desiredReplicas}${a.running.some((r) => !r.current) ? " (rolling)" : ""}`)
        .join(", ");
      const why = [
        ...(s?.conflicts ?? []).map((c) => `conflict: ${c}`),
        ...(s?.problems ?? []),
        ...(s?.notes ?? []),
        ...(s?.pending ?? []).map((p) => `pending: ${p}`),
      ].join("; ");
      const phase = app.undeployed ? (s?.phase ?? "undeploying") : (s?.phase ?? "no status yet");
      // A status no reconciler signed is shown, marked: its content may be anyone's.
      const unproven = s?.proof && !s.proof.ok ? s.proof : undefined;
      const phaseCell = unproven
        ? h("td", { class: "alert unproven", title: unproven.detail }, `${phase} (not proven: ${unproven.reason})`)
        : h("td", { class: `phase-${phase}` }, phase);
      return h(
        "tr",
        { "data-app": app.name },
        h("td", {}, h("strong", {}, app.name)),
        h("td", {}, app.version),
        phaseCell,
        h("td", {}, actual || "-"),
        h("td", { class: "muted" }, why || "-"),
      );
    }),
    "no applications deployed",
  );
}

const ALERTS = new Set(["invocation_denied", "invocation_rejected", "state_rejected", "host_gone", "actor_failed", "link_failed"]);

export function eventItem(e: LatticeEvent, actorName: (key: string) => string): HTMLElement {
  const d = e.data;
  if (e.proof && !e.proof.ok)
    return h(
      "li",
      { class: "alert forged", "data-type": e.type },
      h("time", {}, e.time.slice(11, 19)),
      h("strong", {}, e.type),
      ` ${short(e.hostId)} forged (${e.proof.reason}): ${e.proof.detail}`,
    );
  const detail =
    e.type === "invocation_denied"
      ? `${String(d.actorName ?? actorName(String(d.actorKey)))} -> ${String(d.capabilityId)} '${String(d.binding)}' ${String(d.operation)}: ${String(d.reason)}${typeof d.count === "number" && d.count > 1 ? ` (×${d.count})` : ""}`
      : Object.entries(d)
          .filter(([k, v]) => typeof v !== "object" && k !== "detail")
          .map(([k, v]) => `${k}=${k.endsWith("Key") ? actorName(String(v)) : String(v)}`)
          .join(" ");
  return h(
    "li",
    { class: ALERTS.has(e.type) ? "alert" : undefined, "data-type": e.type },
    h("time", {}, e.time.slice(11, 19)),
    h("strong", {}, e.type),
    ` ${short(e.hostId)} `,
    detail,
  );
}
