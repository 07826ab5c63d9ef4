/** A tiny element builder: text is always set as text, never parsed as HTML. */
type Child = Node | string | number | null | undefined | false;

export function h(tag: string, attrs: Record<string, string | ((e: Event) => void) | undefined> = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined) continue;
    if (typeof value === "function") el.addEventListener(name.replace(/^on/, ""), value);
    else el.setAttribute(name, value);
  }
  for (const child of children) if (child !== null && child !== undefined && child !== false) el.append(child instanceof Node ? child : String(child));
  return el;
}

export function table(headers: string[], rows: HTMLElement[], empty: string): HTMLElement {
  if (rows.length === 0) return h("p", { class: "muted" }, empty);
  return h("table", {}, h("thead", {}, h("tr", {}, ...headers.map((t) => h("th", {}, t)))), h("tbody", {}, ...rows));
}

export const short = (key: string): string => `${key.slice(0, 10)}…`;

export function labels(values: Record<string, string>): HTMLElement {
  return h("span", { class: "labels" }, ...Object.entries(values).map(([k, v]) => h("span", {}, `${k}=${v}`)));
}
