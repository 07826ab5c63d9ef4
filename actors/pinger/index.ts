// Actor-to-actor: calls "Ping" on the actor named by ?target=M... (or header x-target).
import { callActor, register, Request, Response, Result } from "../sdk";
export { __guest_call } from "../sdk";

register("HandleRequest", (payload: ArrayBuffer): Result => {
  const req = Request.decode(payload);
  let target = req.query("target");
  if (target.length == 0 && req.header.has("x-target")) target = req.header.get("x-target");
  const reply = callActor(target, "Ping", req.body.buffer);
  if (!reply.ok) return Result.success(new Response(502, "Bad Gateway", Uint8Array.wrap(String.UTF8.encode(reply.error))).encode());
  return Result.success(Response.ok(Uint8Array.wrap(reply.data)).encode());
});
