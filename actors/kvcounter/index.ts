// Key-value counter: increments the counter of the request path (with '/' turned into ':')
// and replies {"counter":N}, like the waSCC kvcounter actor.
import { register, KeyValue, Request, Response, Result } from "../sdk";
export { __guest_call } from "../sdk";

register("HandleRequest", (payload: ArrayBuffer): Result => {
  const req = Request.decode(payload);
  const key = req.path.replaceAll("/", ":");
  const added = new KeyValue().add(key, 1);
  if (!added.ok) return Result.success(Response.json(500, "{\"error\":" + quote(added.error) + "}").encode());
  return Result.success(Response.json(200, "{\"counter\":" + KeyValue.addValue(added).toString() + "}").encode());
});

function quote(s: string): string {
  return "\"" + s.replaceAll("\\", "\\\\").replaceAll("\"", "\\\"") + "\"";
}
