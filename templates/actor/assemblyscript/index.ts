// {{name}}: an HTTP actor. Every request gets 200 and a JSON greeting naming its path.
// Built by `npm run build` into build/{{name}}_s.wasm, signed with the claim wascc:http_server.
import { register, Request, Response, Result, jsonString } from "wactor/sdk";
export { __guest_call } from "wactor/sdk";

register("HandleRequest", (payload: ArrayBuffer): Result => {
  const req = Request.decode(payload);
  const body = "{\"hello\":" + jsonString(req.path) + ",\"from\":\"{{name}}\"}";
  return Result.success(Response.json(200, body).encode());
});
