// Cache round trip: stores a value with a TTL, then reads it back and answers it. Key, TTL and
// value come from the query string, else the JSON body (`key`, `ttl` seconds, `value`); the
// defaults are key "cache", no expiry and the job input as the value.
import { Cache, register, Request, Result } from "../../runnable-sdk";
export { allocate, deallocate, run_e } from "../../runnable-sdk";

function setting(name: string): string {
  const fromQuery = Request.query(name);
  return fromQuery.length > 0 ? fromQuery : Request.bodyField(name);
}

register((input: ArrayBuffer): Result => {
  const key = setting("key").length > 0 ? setting("key") : "cache";
  const ttl = setting("ttl").length > 0 ? <i32>parseInt(setting("ttl"), 10) : 0;
  const value = setting("value");
  const stored = value.length > 0 ? Cache.set(key, value, ttl) : Cache.setBytes(key, input, ttl);
  if (!stored.ok) return stored;
  return Cache.get(key);
});
