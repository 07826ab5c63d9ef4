/**
 * Who is in the lattice, from the event stream: hosts announce themselves and heartbeat;
 * a host that misses three heartbeats in a row is reported gone (once).
 */
import type { HostSummary, LatticeEvent } from "../wire/control-types.js";

const MISSED_HEARTBEATS = 3;

interface Entry {
  summary: HostSummary | undefined;
  lastSeen: number;
  heartbeatMs: number;
}

export class HostRegistry {
  readonly #hosts = new Map<string, Entry>();

  /** Feeds one event from the lattice stream. */
  observe(event: LatticeEvent, now = Date.now()): void {
    if (event.type === "host_stopped") {
      this.#hosts.delete(event.hostId);
      return;
    }
    const entry = this.#hosts.get(event.hostId);
    const summary = event.type === "host_heartbeat" ? (event.data as unknown as HostSummary) : entry?.summary;
    const heartbeatMs = summary?.heartbeatMs ?? entry?.heartbeatMs ?? 5000;
    this.#hosts.set(event.hostId, { summary, lastSeen: now, heartbeatMs });
  }

  /** Hosts that just went silent; each is reported once and then forgotten. */
  sweep(now = Date.now()): LatticeEvent[] {
    const gone: LatticeEvent[] = [];
    for (const [hostId, entry] of this.#hosts) {
      const silentMs = now - entry.lastSeen;
      if (silentMs <= entry.heartbeatMs * MISSED_HEARTBEATS) continue;
      this.#hosts.delete(hostId);
      gone.push({ type: "host_gone", hostId, time: new Date(now).toISOString(), data: { silentMs, labels: entry.summary?.labels ?? {} } });
    }
    return gone;
  }

  alive(): HostSummary[] {
    return [...this.#hosts.values()].flatMap((e) => (e.summary ? [e.summary] : []));
  }
}
