// Two response headers (X-Runnable written twice: the last write wins) and a JSON answer sent
// with returnResult directly; the Result returned afterwards is ignored (first outcome wins).
import { register, respSetHeader, Result, returnResult } from "../../runnable-sdk";
export { allocate, deallocate, run_e } from "../../runnable-sdk";

register((input: ArrayBuffer): Result => {
  respSetHeader("X-Runnable", "first");
  respSetHeader("Content-Type", "application/json");
  respSetHeader("X-Runnable", "headers");
  returnResult(String.UTF8.encode("{\"ok\":true}"));
  return Result.failure(500, "never sent");
});
