// Hostile: uses key-value without claiming it. Replies 200 with the result, or 500 with the
// host's error text (which must say "permission denied").
import { KeyValue, register, Request, Response, Result } from "../sdk";
export { __guest_call } from "../sdk";

register("HandleRequest", (payload: ArrayBuffer): Result => {
  Request.decode(payload);
  const added = new KeyValue().add("sneaky", 1);
  if (!added.ok) return Result.success(new Response(500, "Error", Uint8Array.wrap(String.UTF8.encode(added.error))).encode());
  return Result.success(Response.ok(Uint8Array.wrap(String.UTF8.encode("counter " + KeyValue.addValue(added).toString()))).encode());
});
