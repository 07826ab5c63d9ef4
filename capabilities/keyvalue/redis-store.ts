/**
 * A key-value binding backed by Redis (ioredis). Calls fail fast while Redis is away (no
 * offline queue, no per-request retries, a command timeout) with WACTOR_ERR_PROVIDER_UNAVAILABLE;
 * the client keeps reconnecting in the background and the binding status follows it.
 */
import type { Redis } from "ioredis";
import { WactorError } from "../../src/errors.js";
import type { BindingStatus } from "../../src/provider/contract.js";
import { connectRedisClient, type RedisClientOptions } from "../redis-client.js";
import { reasonOf, redactUrl } from "../shared.js";
import { sortStrings, type KeyValueStore } from "./store.js";

export type RedisStoreOptions = RedisClientOptions;

/** Redis URLs a binding may name (`URL` value). */
export function validateRedisUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new WactorError("WACTOR_ERR_BINDING_INVALID", `URL '${redactUrl(url)}' is not a URL (expected redis://host:port)`);
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") {
    throw new WactorError("WACTOR_ERR_BINDING_INVALID", `URL '${redactUrl(url)}' must use redis:// or rediss://`);
  }
}

export class RedisStore implements KeyValueStore {
  readonly #client: Redis;
  readonly #url: string;
  #lastError = "";

  private constructor(client: Redis, url: string) {
    this.#client = client;
    this.#url = redactUrl(url);
  }

  /** Connects and PINGs within the timeout, or rejects with WACTOR_ERR_BINDING_FAILED and leaves nothing open. */
  static async connect(url: string, options: RedisStoreOptions = {}): Promise<RedisStore> {
    validateRedisUrl(url);
    let lastError = "";
    const client = await connectRedisClient(url, options, false, (reason) => {
      lastError = reason;
    });
    const store = new RedisStore(client, url);
    store.#lastError = lastError;
    client.on("error", (err: unknown) => {
      store.#lastError = reasonOf(err);
    });
    client.on("ready", () => {
      store.#lastError = "";
    });
    return store;
  }

  add(key: string, delta: number): Promise<number> {
    return this.#run(() => this.#client.incrby(key, delta));
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.#run(() => this.#client.get(key))) ?? undefined;
  }

  async set(key: string, value: string, expiresSeconds: number): Promise<void> {
    await this.#run(() => (expiresSeconds > 0 ? this.#client.set(key, value, "EX", expiresSeconds) : this.#client.set(key, value)));
  }

  async del(key: string): Promise<void> {
    await this.#run(() => this.#client.del(key));
  }

  range(key: string, start: number, stop: number): Promise<string[]> {
    return this.#run(() => this.#client.lrange(key, start, stop));
  }

  push(key: string, value: string): Promise<number> {
    return this.#run(() => this.#client.lpush(key, value));
  }

  listItemDelete(key: string, value: string): Promise<number> {
    return this.#run(() => this.#client.lrem(key, 0, value));
  }

  setAdd(key: string, value: string): Promise<number> {
    return this.#run(() => this.#client.sadd(key, value));
  }

  setRemove(key: string, value: string): Promise<number> {
    return this.#run(() => this.#client.srem(key, value));
  }

  async setUnion(keys: readonly string[]): Promise<string[]> {
    if (keys.length === 0) return []; // Redis refuses SUNION without keys
    return sortStrings(await this.#run(() => this.#client.sunion(...keys)));
  }

  async setIntersection(keys: readonly string[]): Promise<string[]> {
    if (keys.length === 0) return [];
    return sortStrings(await this.#run(() => this.#client.sinter(...keys)));
  }

  async setQuery(key: string): Promise<string[]> {
    return sortStrings(await this.#run(() => this.#client.smembers(key)));
  }

  async exists(key: string): Promise<boolean> {
    return (await this.#run(() => this.#client.exists(key))) > 0;
  }

  status(): BindingStatus {
    // The client's own state, not one tracked from events: "close" can come after a command
    // has already failed for want of a connection.
    if (this.#client.status === "ready") return { state: "ok" };
    return { state: "failed", reason: `connection to redis at ${this.#url} lost${this.#lastError ? ` (${this.#lastError})` : ""}; reconnecting` };
  }

  async close(): Promise<void> {
    // disconnect() also stops the reconnection loop; quit() would wait for a Redis that may be gone.
    this.#client.disconnect();
  }

  /** Runs a command and turns every failure into the WactorError an actor should see. */
  async #run<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (err) {
      throw this.#translate(err);
    }
  }

  #translate(err: unknown): WactorError {
    const message = reasonOf(err);
    if (err instanceof Error && err.name === "ReplyError") {
      if (message.startsWith("WRONGTYPE") || /not an integer|overflow/i.test(message)) {
        return new WactorError("WACTOR_ERR_WRONG_TYPE", message, { cause: err });
      }
    }
    // "Stream isn't writeable…" is ioredis' way of saying it is disconnected: say that instead.
    const why = this.#client.status === "ready" ? message : `not connected${this.#lastError ? ` (${this.#lastError})` : ""}`;
    return new WactorError("WACTOR_ERR_PROVIDER_UNAVAILABLE", `redis at ${this.#url}: ${why}`, { cause: err });
  }
}
