// Atmo example `cache-get`: the cached value of route param `key`, empty when there is none.
import { Cache, Log, register, Request, Result } from "../../runnable-sdk";
export { allocate, deallocate, run_e } from "../../runnable-sdk";

register((input: ArrayBuffer): Result => {
  const key = Request.param("key");
  Log.info("getting cache value " + key);
  const value = Cache.get(key);
  return Result.success(value.ok ? value.data : new ArrayBuffer(0));
});
