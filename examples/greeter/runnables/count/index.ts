// Adds one to the cache key "greetings" and answers the new count. The cache is the bundle's:
// every function and every handler of the bundle sees the same keys.
import { Cache, register, Result } from "../../../../actors/runnable-sdk";
export { allocate, deallocate, run_e } from "../../../../actors/runnable-sdk";

register((input: ArrayBuffer): Result => {
  const current = Cache.get("greetings");
  const count = current.ok && current.data.byteLength > 0 ? <i32>parseInt(current.toString(), 10) + 1 : 1;
  const stored = Cache.set("greetings", count.toString());
  if (!stored.ok) return stored;
  return Result.text(count.toString());
});
