// Atmo example `cache-set`: stores the input under the route param `key` (no expiry) and
// answers nothing (an empty result), whether or not the store worked, as the reference does.
import { Cache, Log, register, Request, Result } from "../../runnable-sdk";
export { allocate, deallocate, run_e } from "../../runnable-sdk";

register((input: ArrayBuffer): Result => {
  const key = Request.param("key");
  Log.info("setting cache value " + key);
  Cache.setBytes(key, input, 0);
  return Result.success(new ArrayBuffer(0));
});
