/** Redis connections of an event streams binding (ioredis), checked with a PING at bind time. */
import { Redis } from "ioredis";
import { WactorError } from "../../src/errors.js";
import { validateRedisUrl } from "../keyvalue/mod.js";
import { reasonOf, redactUrl, withTimeout } from "../shared.js";

export interface RedisTimeouts {
  /** How long connect + PING may take at bind time. Default 2000 ms. */
  connectTimeoutMs?: number;
  /** How long one command may take before it fails (not the blocking reads). Default 1000 ms. */
  commandTimeoutMs?: number;
  /** Upper bound of the delay between reconnection attempts. Default 1000 ms. */
  maxReconnectDelayMs?: number;
}

/**
 * A connected client that fails fast while Redis is away (no offline queue, no retries) and
 * reconnects by itself. `blocking`: no command timeout, for XREADGROUP ... BLOCK.
 */
export async function connectRedis(url: string, options: RedisTimeouts, blocking = false): Promise<Redis> {
  validateRedisUrl(url);
  const connectTimeoutMs = options.connectTimeoutMs ?? 2000;
  const maxDelay = options.maxReconnectDelayMs ?? 1000;
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    ...(!blocking && { commandTimeout: options.commandTimeoutMs ?? 1000 }),
    connectTimeout: connectTimeoutMs,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 10), maxDelay),
  });
  let lastError = "";
  client.on("error", (err: unknown) => {
    lastError = reasonOf(err);
  });
  try {
    const ready = client.connect().then(() => client.ping());
    ready.catch(() => {}); // settled by the race below
    await withTimeout(ready, connectTimeoutMs, () => new Error(`no answer to PING within ${connectTimeoutMs} ms`));
  } catch (err) {
    client.disconnect();
    throw new WactorError("WACTOR_ERR_BINDING_FAILED", `redis at ${redactUrl(url)}: ${lastError || reasonOf(err)}`, { cause: err });
  }
  return client;
}
