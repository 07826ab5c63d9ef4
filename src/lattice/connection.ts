/**
 * The lattice's transport: one NATS connection per host or client, reconnecting forever,
 * with JetStream checked up front (links, claims and actor bytes live there).
 */
import { connect, type JetStreamClient, type NatsConnection } from "nats";
import { WactorError } from "../errors.js";

export interface LatticeConnection {
  nc: NatsConnection;
  js: JetStreamClient;
  close(): Promise<void>;
}

export async function connectLattice(url: string, name: string, options: { timeoutMs?: number } = {}): Promise<LatticeConnection> {
  let nc: NatsConnection;
  try {
    // noAsyncTraces: nats.js would capture a stack trace on every request, only to enrich a
    // timeout error that wactor replaces with its own; that is most of a request's cost.
    nc = await connect({ servers: url.split(","), name, timeout: options.timeoutMs ?? 3000, maxReconnectAttempts: -1, reconnectTimeWait: 250, noAsyncTraces: true });
  } catch (err) {
    throw new WactorError("WACTOR_ERR_LATTICE_UNAVAILABLE", `${url}: ${(err as Error).message}`);
  }
  try {
    await (await nc.jetstreamManager({ timeout: options.timeoutMs ?? 3000 })).getAccountInfo();
  } catch (err) {
    await nc.close().catch(() => {});
    throw new WactorError("WACTOR_ERR_JETSTREAM_UNAVAILABLE", `${url}: ${(err as Error).message}`);
  }
  return {
    nc,
    js: nc.jetstream(),
    close: async () => {
      if (nc.isClosed()) return;
      await nc.drain().catch(() => nc.close());
    },
  };
}
