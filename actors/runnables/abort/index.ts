// Throws Error("runnable gave up"), which AssemblyScript turns into abort(message, file, line,
// column): the host gets return_abort, then run_e traps.
import { register, Result } from "../../runnable-sdk";
export { allocate, deallocate, run_e } from "../../runnable-sdk";

register((input: ArrayBuffer): Result => {
  if (input.byteLength >= 0) throw new Error("runnable gave up");
  return Result.success(input);
});
