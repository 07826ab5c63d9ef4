/**
 * The lattice's live event stream as one client sees it: every event, plus `host_gone` for
 * hosts that missed three heartbeats. An event that cannot be decoded, or a subscription
 * error, is logged with the reason and the stream goes on: one bad publisher must not blind
 * the watcher, nor vanish without a trace.
 */
import type { NatsConnection } from "nats";
import type { Logger } from "pino";
import { decodeJson } from "../wire/control-codec.js";
import type { LatticeEvent } from "../wire/control-types.js";
import { HostRegistry } from "../state/host-registry.js";

export interface WatchOptions {
  sweepMs?: number;
  logger: Logger;
}

/** Subscribes to `subject`; returns a function that stops watching. */
export function watchEvents(nc: NatsConnection, subject: string, onEvent: (event: LatticeEvent) => void, options: WatchOptions): () => void {
  const registry = new HostRegistry();
  const sub = nc.subscribe(subject, {
    callback: (err, msg) => {
      if (err) {
        options.logger.warn({ err, subject }, "lattice event subscription failed");
        return;
      }
      let event: LatticeEvent;
      try {
        event = decodeJson<LatticeEvent>(msg.data);
      } catch (decodeErr) {
        options.logger.warn({ subject: msg.subject, bytes: msg.data.length, reason: (decodeErr as Error).message }, "dropped a lattice event that is not JSON");
        return;
      }
      if (typeof event?.type !== "string" || typeof event.hostId !== "string") {
        options.logger.warn({ subject: msg.subject }, "dropped a lattice event without a type and host id");
        return;
      }
      registry.observe(event);
      onEvent(event);
    },
  });
  const sweeper = setInterval(() => registry.sweep().forEach(onEvent), options.sweepMs ?? 1000);
  return () => {
    clearInterval(sweeper);
    sub.unsubscribe();
  };
}
