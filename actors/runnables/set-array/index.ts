// Atmo example `set-array`: echoes the input with Content-Type application/json.
import { register, respSetHeader, Result } from "../../runnable-sdk";
export { allocate, deallocate, run_e } from "../../runnable-sdk";

register((input: ArrayBuffer): Result => {
  respSetHeader("Content-Type", "application/json");
  return Result.success(input);
});
