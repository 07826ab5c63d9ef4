/** The dashboard page: polls the overview, follows events, derives call rates from heartbeats. */
import { act, fetchOverview, followEvents } from "./api.js";
import { short } from "./dom.js";
import type { LatticeEvent, Link, Overview } from "./types.js";
import { actorsView, appsView, bundlesView, eventItem, hostsView, linksView, providersView, type Actions } from "./views.js";

const $ = (id: string): HTMLElement => document.getElementById(id)!;
const lastBeat = new Map<string, number>();
/** Per host and actor: the last invocation count and when, and the recent rates. */
const counts = new Map<string, { at: number; count: number }>();
const rateHistory = new Map<string, number[]>();
let overview: Overview | undefined;
let refreshTimer: number | undefined;

const actorName = (key: string): string => {
  for (const host of overview?.hosts ?? []) for (const a of host.inventory?.actors ?? []) if (a.key === key && a.name) return a.name;
  return short(key);
};

function toast(text: string): void {
  const el = $("toast");
  el.textContent = text;
  el.classList.add("show");
  window.setTimeout(() => el.classList.remove("show"), 4000);
}

async function run(question: string, action: Record<string, unknown>, done: string): Promise<void> {
  if (!window.confirm(question)) return;
  try {
    await act(action);
    toast(done);
  } catch (err) {
    // What an application owns is refused unless forced: ask once more, saying it will be restored.
    if ((err as { code?: string }).code === "WACTOR_ERR_OWNED_BY_APP" && window.confirm(`${(err as Error).message}\n\nChange it anyway?`)) {
      await act({ ...action, force: true }).then(
        () => toast(`${done}; its application's reconciler restores it on its next round`),
        (e: unknown) => toast((e as Error).message),
      );
    } else {
      toast((err as Error).message);
    }
  }
  await refresh();
}

const actions: Actions = {
  scale: (hostId, key, name, instances) =>
    void run(`Scale ${name} on ${short(hostId)} to ${instances} instances?`, { action: "scale", key, instances, hostId }, `${name}: ${instances} instances`),
  stop: (hostId, key, name) => void run(`Stop ${name} on ${short(hostId)}?`, { action: "stop", key, hostId }, `${name} stopped`),
  deleteLink: (link: Link) =>
    void run(
      `Delete the link ${actorName(link.actorKey)} -> ${link.capabilityId} '${link.binding}'?`,
      { action: "link_del", actor: link.actorKey, capabilityId: link.capabilityId, binding: link.binding },
      "link deleted",
    ),
};

function render(): void {
  if (!overview) return;
  $("lattice").textContent = overview.lattice;
  $("updated").textContent = `updated ${overview.generatedAt.slice(11, 19)}`;
  $("hosts").replaceChildren(hostsView(overview.hosts, (id) => (lastBeat.has(id) ? Date.now() - lastBeat.get(id)! : undefined)));
  $("actors").replaceChildren(actorsView(overview.hosts, (hostId, key) => rateHistory.get(`${hostId}/${key}`) ?? [], actions));
  $("providers").replaceChildren(providersView(overview.hosts));
  $("links").replaceChildren(linksView(overview.links, actorName, actions));
  $("apps").replaceChildren(appsView(overview.apps));
  $("bundles").replaceChildren(bundlesView(overview.apps));
}

async function refresh(): Promise<void> {
  try {
    overview = await fetchOverview();
    render();
  } catch (err) {
    $("updated").textContent = (err as Error).message;
  }
}

/** Soon, not at once: a burst of events makes one refresh. */
function refreshSoon(): void {
  window.clearTimeout(refreshTimer);
  refreshTimer = window.setTimeout(() => void refresh(), 250);
}

function onHeartbeat(e: LatticeEvent): void {
  const now = Date.now();
  lastBeat.set(e.hostId, now);
  for (const a of (e.data.actors as Array<{ key: string; invocations: number }> | undefined) ?? []) {
    const id = `${e.hostId}/${a.key}`;
    const previous = counts.get(id);
    counts.set(id, { at: now, count: a.invocations });
    if (!previous || now <= previous.at) continue;
    const rate = Math.max(0, a.invocations - previous.count) / ((now - previous.at) / 1000);
    rateHistory.set(id, [...(rateHistory.get(id) ?? []), rate].slice(-30));
  }
}

function onEvent(e: LatticeEvent): void {
  // A heartbeat whose proof fails counts for nothing (no liveness, no rates) and is listed as an alert.
  if (e.type === "host_heartbeat" && e.proof?.ok !== false) {
    onHeartbeat(e);
    return;
  }
  const list = $("events");
  list.prepend(eventItem(e, actorName));
  while (list.children.length > 200) list.lastElementChild?.remove();
  refreshSoon();
}

($("link-form") as HTMLFormElement).addEventListener("submit", (event) => {
  event.preventDefault();
  const form = new FormData(event.target as HTMLFormElement);
  const values = Object.fromEntries(
    String(form.get("values") ?? "")
      .split(",")
      .map((pair) => pair.trim())
      .filter(Boolean)
      .map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)]),
  );
  const link = {
    action: "link_put",
    actor: String(form.get("actor")),
    capabilityId: String(form.get("capabilityId")),
    binding: String(form.get("binding") ?? ""),
    values,
  };
  void run(`Put the link ${link.actor} -> ${link.capabilityId}?`, link, "link stored");
});

($("start-form") as HTMLFormElement).addEventListener("submit", (event) => {
  event.preventDefault();
  const form = new FormData(event.target as HTMLFormElement);
  const ref = String(form.get("ref"));
  const hostId = String(form.get("hostId") ?? "").trim();
  const instances = String(form.get("instances") ?? "").trim();
  const start = { action: "start", ref, ...(hostId && { hostId }), ...(instances && { instances: Number(instances) }) };
  void run(`Start ${ref}${hostId ? ` on ${short(hostId)}` : ""}?`, start, `${ref} started`);
});

followEvents(onEvent, (connected) => {
  $("connection").textContent = connected ? "live" : "reconnecting…";
  $("connection").className = `badge ${connected ? "ok" : "bad"}`;
});
void refresh();
window.setInterval(() => void refresh(), 3000);
