/**
 * The lattice's transport: one NATS connection per host or client, reconnecting forever,
 * with JetStream checked up front (links, claims and actor bytes live there). Credentials,
 * TLS, the JetStream domain and the buckets' replicas come from `NatsAccess`.
 */
import { connect, type JetStreamClient, type NatsConnection } from "nats";
import type { Logger } from "pino";
import { WactorError, isWactorError } from "../../errors.js";
import { LatticeBuckets } from "./buckets.js";
import { connectFailureCause, natsConnectOptions, redactServers, type NatsAccess } from "../../nats/access.js";

export interface LatticeConnection {
  nc: NatsConnection;
  js: JetStreamClient;
  /** Opens the lattice's buckets with the replica policy of this connection. */
  buckets: LatticeBuckets;
  /** The JetStream domain the state lives in, when one was given. */
  jsDomain: string | undefined;
  close(): Promise<void>;
}

/** How long shutting down waits for the server; with every server gone, the client would wait for a reconnect forever. */
const SHUTDOWN_WAIT_MS = 2000;

/** Resolves when `work` settles or after `ms`, whichever comes first; never rejects. */
export function settleWithin(work: Promise<unknown>, ms = SHUTDOWN_WAIT_MS): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return Promise.race([
    work.then(
      () => {},
      () => {},
    ),
    late,
  ]).finally(() => clearTimeout(timer));
}

export interface LatticeConnectOptions {
  timeoutMs?: number;
  access?: NatsAccess;
  /** Where bucket creation (and its replica decision) is logged. */
  logger?: Logger;
}

export async function connectLattice(url: string, name: string, options: LatticeConnectOptions = {}): Promise<LatticeConnection> {
  const timeout = options.timeoutMs ?? 3000;
  const access = options.access;
  let nc: NatsConnection;
  try {
    // noAsyncTraces: nats.js would capture a stack trace on every request, only to enrich a
    // timeout error that wactor replaces with its own; that is most of a request's cost.
    // reconnectTimeWait 250 ms: a host whose server died is on another one of the cluster well within 2 s.
    nc = await connect({
      servers: url.split(","),
      name,
      timeout,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      noAsyncTraces: true,
      ...natsConnectOptions(access),
    });
  } catch (err) {
    if (isWactorError(err)) throw err;
    throw new WactorError("WACTOR_ERR_LATTICE_UNAVAILABLE", `${redactServers(url)}: ${connectFailureCause(err, access)}`);
  }
  if (options.logger) void logStatus(nc, options.logger);
  const domain = access?.jsDomain !== undefined ? { domain: access.jsDomain } : {};
  let buckets: LatticeBuckets;
  try {
    const jsm = await nc.jetstreamManager({ timeout, ...domain });
    await jsm.getAccountInfo();
    buckets = new LatticeBuckets(nc.jetstream(domain), jsm, {
      ...(access?.replicas !== undefined && { replicas: access.replicas }),
      ...(options.logger && { logger: options.logger }),
    });
  } catch (err) {
    await nc.close().catch(() => {});
    if (isWactorError(err)) throw err;
    const where = access?.jsDomain !== undefined ? ` (JetStream domain '${access.jsDomain}')` : "";
    throw new WactorError("WACTOR_ERR_JETSTREAM_UNAVAILABLE", `${redactServers(url)}${where}: ${(err as Error).message}`);
  }
  return {
    nc,
    js: nc.jetstream(domain),
    buckets,
    jsDomain: access?.jsDomain,
    close: async () => {
      if (nc.isClosed()) return;
      await settleWithin(nc.drain());
      if (!nc.isClosed()) await nc.close();
    },
  };
}

/** Disconnects and reconnects are logged: after a server dies, the log says when and where the client went. */
async function logStatus(nc: NatsConnection, logger: Logger): Promise<void> {
  for await (const s of nc.status()) {
    if (s.type === "disconnect" || s.type === "reconnect") logger.info({ nats: s.type, server: s.data }, `NATS ${s.type}`);
    else if (s.type !== "pingTimer") logger.debug({ nats: s.type, data: s.data }, `NATS ${s.type}`);
  }
}
