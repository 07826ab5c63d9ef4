// Hostile: traps ("Panic", HandleRequest), aborts ("Abort", through env.abort), overflows its stack
// ("Recurse"), answers 32 MiB ("Huge") or floods the host with denied calls ("Flood").
import { hostCall, register, Result } from "../sdk";
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

// Unbounded recursion: the stack overflows, which must trap this invocation only.
function dive(depth: i32): i32 {
  return depth == 0x7fffffff ? depth : dive(depth + 1) + 1;
}
register("Recurse", (payload: ArrayBuffer): Result => Result.success(new ArrayBuffer(dive(0) & 1)));

// A huge reply: 32 MiB.
register("Huge", (payload: ArrayBuffer): Result => Result.success(new ArrayBuffer(32 << 20)));

// A host-call flood: 50,000 calls to a capability it did not claim (each one denied).
register("Flood", (payload: ArrayBuffer): Result => {
  let denied = 0;
  for (let i = 0; i < 50000; i++) if (!hostCall("", "wascc:keyvalue", "Get", payload).ok) denied++;
  return Result.success(String.UTF8.encode(denied.toString()));
});
