// Hostile: never returns.
import { register, Result } from "../sdk";
export { __guest_call } from "../sdk";

function spin(payload: ArrayBuffer): Result {
  let n: u64 = 0;
  while (payload.byteLength >= 0) n++;
  return Result.success(payload);
}
register("HandleRequest", spin);
register("Loop", spin);
