/** Redis connections of an event streams binding: the shared fail-fast client (../redis-client.ts). */
import type { Redis } from "ioredis";
import { validateRedisUrl } from "../keyvalue/mod.js";
import { connectRedisClient, type RedisClientOptions } from "../redis-client.js";

export type RedisTimeouts = Omit<RedisClientOptions, "keyPrefix">;

/** A connected client; `blocking`: no command deadline, for XREADGROUP ... BLOCK. */
export async function connectRedis(url: string, options: RedisTimeouts, blocking = false): Promise<Redis> {
  validateRedisUrl(url);
  return connectRedisClient(url, options, blocking);
}
