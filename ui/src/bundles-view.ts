/** Bundles the applications deployed: what each serves, which hosts serve its routes, where its functions run. */
import { h, short, table } from "./dom.js";
import type { AppRow } from "./types.js";

const list = (items: string[], empty: string): HTMLElement =>
  items.length === 0 ? h("span", { class: "muted" }, empty) : h("ul", { class: "plain" }, ...items.map((item) => h("li", {}, h("code", {}, item))));

export function bundlesView(apps: AppRow[]): HTMLElement {
  const rows = apps.flatMap((app) => (app.bundles ?? []).map((bundle) => ({ app, bundle })));
  return table(
    ["application", "bundle", "routes", "served by", "schedules", "functions running / wanted", "problems"],
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
        h("td", { class: "muted" }, bundle.problems.join("; ") || "-"),
      );
    }),
    "no bundles deployed",
  );
}
