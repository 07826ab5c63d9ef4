/**
 * The Redis client of every Redis-backed provider (key-value, event streams): fails fast while
 * Redis is away or hung, reconnects by itself, and is checked with a PING before a binding uses it.
 *
 * Fail-fast on a hung Redis needs a deadline per command. ioredis's own `commandTimeout` arms
 * and clears one timer per command; at XADD rates that was the largest cost left on the
 * provider's path (WriteEvent 0.75–0.85 of direct XADD with it, 0.86–0.93 without, Node 26).
 * A connection answers in order, so one watchdog per connection does the same job at no cost
 * per command: a few times per timeout it looks at the oldest command waiting for its answer,
 * and once that one has waited a whole timeout the connection is hung, and every command
 * waiting on it fails (as ioredis's timeout does, the late answer is then ignored). Tried
 * first: a bucket per tick holding every command sent (one push per command) — it kept each
 * answered command alive for a second, long enough for V8 to promote it, so it was dropped.
 */
import { Redis } from "ioredis";
import { WactorError } from "../src/errors.js";
import { reasonOf, redactUrl, withTimeout } from "./shared.js";

export interface RedisClientOptions {
  /** Prepended to every key, so that bindings sharing one Redis never see each other's keys. */
  keyPrefix?: string;
  /** How long connect + PING may take at bind time. Default 2000 ms. */
  connectTimeoutMs?: number;
  /** How long one command may take before it fails (not blocking reads). Default 1000 ms. */
  commandTimeoutMs?: number;
  /** Upper bound of the delay between reconnection attempts. Default 1000 ms. */
  maxReconnectDelayMs?: number;
}

/** Looks per timeout: the watchdog's resolution, so a deadline is late by at most 1/4 of it. */
const LOOKS_PER_TIMEOUT = 4;

/**
 * Fails the commands of a connection whose oldest outstanding command has waited `timeoutMs`.
 * Runs until the client is disconnected for good (`end`).
 */
export function watchCommandDeadlines(client: Redis, timeoutMs: number): void {
  let watched: unknown;
  let since = 0;
  const timer = setInterval(
    () => {
      const oldest = client.commandQueue.peekFront()?.command;
      if (oldest === undefined || oldest !== watched) {
        watched = oldest;
        since = performance.now();
        return;
      }
      if (performance.now() - since < timeoutMs) return;
      watched = undefined;
      const timedOut = new Error(`Command timed out: no answer from redis within ${timeoutMs} ms`);
      // Rejecting an answered command is a no-op, so no need to tell them apart.
      for (const item of client.commandQueue.toArray()) item.command.reject(timedOut);
    },
    Math.max(1, Math.ceil(timeoutMs / LOOKS_PER_TIMEOUT)),
  );
  timer.unref();
  client.once("end", () => clearInterval(timer));
}

/**
 * A connected client, checked with a PING within the connect timeout, or
 * WACTOR_ERR_BINDING_FAILED with nothing left open. `blocking`: no command deadline, for
 * XREADGROUP ... BLOCK. `onError` sees every connection error (the binding status shows it).
 */
export async function connectRedisClient(url: string, options: RedisClientOptions, blocking = false, onError?: (reason: string) => void): Promise<Redis> {
  const connectTimeoutMs = options.connectTimeoutMs ?? 2000;
  const maxDelay = options.maxReconnectDelayMs ?? 1000;
  const settings = {
    lazyConnect: true,
    keyPrefix: options.keyPrefix ?? "",
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: connectTimeoutMs,
    retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 10), maxDelay),
  };
  const client = new Redis(url, settings);
  if (!blocking) watchCommandDeadlines(client, options.commandTimeoutMs ?? 1000);
  let lastError = "";
  client.on("error", (err: unknown) => {
    lastError = reasonOf(err);
    onError?.(lastError);
  });
  try {
    const ready = client.connect().then(() => client.ping());
    ready.catch(() => {}); // settled by the race below; avoid an unhandled rejection after a timeout
    await withTimeout(ready, connectTimeoutMs, () => new Error(`no answer to PING within ${connectTimeoutMs} ms`));
  } catch (err) {
    client.disconnect();
    // The client's own error (ECONNREFUSED, auth) says more than "Connection is closed".
    throw new WactorError("WACTOR_ERR_BINDING_FAILED", `redis at ${redactUrl(url)}: ${lastError || reasonOf(err)}`, { cause: err });
  }
  return client;
}
