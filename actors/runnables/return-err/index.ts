// Atmo example `return-err`: always fails with RunErr {400, "job failed"}.
import { register, Result } from "../../runnable-sdk";
export { allocate, deallocate, run_e } from "../../runnable-sdk";

register((input: ArrayBuffer): Result => Result.failure(400, "job failed"));
