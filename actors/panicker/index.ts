// Hostile: traps ("Panic", HandleRequest) or aborts ("Abort", through env.abort).
import { register, Result } from "../sdk";
export { __guest_call } from "../sdk";

function panic(payload: ArrayBuffer): Result {
  unreachable();
  return Result.success(payload);
}
register("HandleRequest", panic);
register("Panic", panic);
register("Abort", (payload: ArrayBuffer): Result => {
  abort("panicker gave up");
  return Result.success(payload);
});
