// Logs "<level> <input>" once at every level (error 1, warn 2, info 3, debug 4); answers "logged".
import { Log, register, Result } from "../../runnable-sdk";
export { allocate, deallocate, run_e } from "../../runnable-sdk";

register((input: ArrayBuffer): Result => {
  const text = String.UTF8.decode(input);
  Log.error("error " + text);
  Log.warn("warn " + text);
  Log.info("info " + text);
  Log.debug("debug " + text);
  return Result.text("logged");
});
