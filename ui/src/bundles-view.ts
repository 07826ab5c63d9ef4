/** Bundles the applications deployed: what each serves, which hosts serve its routes, where its functions run. */
import { h, short, table } from "./dom.js";
import type { AppRow, BundleRow } from "./types.js";

const list = (items: string[], empty: string): HTMLElement =>
  items.length === 0 ? h("span", { class: "muted" }, empty) : h("ul", { class: "plain" }, ...items.map((item) => h("li", {}, h("code", {}, item))));

/** Mean and max per step, grouped by route, schedule or stream handler. */
function stepTimings(steps: NonNullable<BundleRow["steps"]>): HTMLElement {
  if (steps.length === 0) return h("span", { class: "muted" }, "no timed runs yet");
  return h(
    "ul",
    { class: "plain" },
    ...steps.map((s) =>
      h(
        "li",
        { "data-step": `${s.target} ${s.step}`, title: `${s.count} timed runs, max ${s.maxMs} ms` },
        h("code", {}, `${s.target} #${s.step}`),
        ` ${s.what}: ${s.meanMs} ms`,
      ),
    ),
  );
}

export function bundlesView(apps: AppRow[]): HTMLElement {
  const rows = apps.flatMap((app) => (app.bundles ?? []).map((bundle) => ({ app, bundle })));
  return table(
    ["application", "bundle", "routes", "served by", "schedules", "functions running / wanted", "step time (mean of sampled runs)", "problems"],
    rows.map(({ app, bundle }) => {
      const missing = bundle.functions.filter((f) => f.running < f.desired);
      return h(
        "tr",
        { "data-bundle": bundle.identifier },
        h("td", {}, h("strong", {}, app.name)),
        h("td", { title: bundle.digest }, `${bundle.identifier} ${bundle.appVersion}`),
        h("td", {}, list(bundle.routes, "none")),
        h(
          "td",
          {},
          ...(bundle.edges.length === 0 ? [h("span", { class: "alert" }, "no host")] : bundle.edges.map((id) => h("code", { title: id }, `${short(id)} `))),
        ),
        h(
          "td",
          {},
          bundle.schedules.length === 0 ? "-" : `${bundle.schedules.join(", ")}${bundle.scheduler ? ` on ${short(bundle.scheduler)}` : " (not running)"}`,
        ),
        h("td", { class: missing.length > 0 ? "alert" : undefined }, bundle.functions.map((f) => `${f.name} ${f.running}/${f.desired}`).join(", ") || "-"),
        h("td", {}, stepTimings(bundle.steps ?? [])),
        h("td", { class: "muted" }, bundle.problems.join("; ") || "-"),
      );
    }),
    "no bundles deployed",
  );
}
