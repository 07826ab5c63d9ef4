/** Talks to the dashboard server; the token (when the server needs one) rides on every request. */
import type { LatticeEvent, Overview } from "./types.js";

const token = new URLSearchParams(location.search).get("token");
const withToken = (path: string): string => (token ? `${path}${path.includes("?") ? "&" : "?"}token=${encodeURIComponent(token)}` : path);

export async function fetchOverview(): Promise<Overview> {
  const res = await fetch(withToken("api/overview"));
  if (!res.ok) throw new Error(`overview: ${res.status} ${(await res.text()).slice(0, 200)}`);
  return (await res.json()) as Overview;
}

export async function act(action: Record<string, unknown>): Promise<unknown> {
  const res = await fetch(withToken("api/actions"), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(action) });
  const body = (await res.json()) as { ok: boolean; result?: unknown; code?: string; message?: string };
  if (!body.ok) throw Object.assign(new Error(`${body.code}: ${body.message}`), { code: body.code });
  return body.result;
}

export function followEvents(onEvent: (e: LatticeEvent) => void, onState: (connected: boolean) => void): EventSource {
  const source = new EventSource(withToken("api/events"));
  source.onopen = () => onState(true);
  source.onerror = () => onState(false);
  source.onmessage = (message) => onEvent(JSON.parse(message.data as string) as LatticeEvent);
  return source;
}
