// Like waSCC's multibinding actor: one capability under two binding names, two stores.
// Increments the path's counter in bindings "source1" and "source2" and replies with both.
import { KeyValue, register, Request, Response, Result } from "../sdk";
export { __guest_call } from "../sdk";

register("HandleRequest", (payload: ArrayBuffer): Result => {
  const key = Request.decode(payload).path.replaceAll("/", ":");
  const one = new KeyValue("source1").add(key, 1);
  const two = new KeyValue("source2").add(key, 10);
  if (!one.ok || !two.ok) return Result.success(Response.json(500, "{\"error\":\"" + (one.ok ? two.error : one.error).replaceAll("\"", "'") + "\"}").encode());
  return Result.success(Response.json(200, "{\"source1\":" + KeyValue.addValue(one).toString() + ",\"source2\":" + KeyValue.addValue(two).toString() + "}").encode());
});
