// HTTP echo: replies 200 with a JSON description of the request.
// Also "Echo": returns its payload unchanged (raw, for benchmarks).
import { register, Request, Response, Result, jsonString } from "../sdk";
export { __guest_call } from "../sdk";

register("HandleRequest", (payload: ArrayBuffer): Result => {
  const req = Request.decode(payload);
  const keys = req.header.keys();
  let headers = "";
  for (let i = 0; i < keys.length; i++) {
    if (i > 0) headers += ",";
    headers += jsonString(keys[i]) + ":" + jsonString(req.header.get(keys[i]));
  }
  const json = "{\"method\":" + jsonString(req.method) + ",\"path\":" + jsonString(req.path) +
    ",\"query_string\":" + jsonString(req.queryString) + ",\"headers\":{" + headers + "}" +
    ",\"body_len\":" + req.body.length.toString() + ",\"body\":" + jsonString(String.UTF8.decode(req.body.buffer)) + "}";
  return Result.success(Response.json(200, json).encode());
});

register("Echo", (payload: ArrayBuffer): Result => Result.success(payload));
