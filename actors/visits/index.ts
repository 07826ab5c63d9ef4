// Visit log: a host-call-heavy actor for the benchmarks and examples. Per request: counts the
// path's visits (Add), remembers the last visitor's user agent (Set), reads the path's note
// (Get), writes one log line, and replies {"visits":N,"note":"..."}: three key-value calls and
// one logging call.
import { register, KeyValue, Request, Response, Result, writeLog, LOG_INFO, jsonString } from "../sdk";
export { __guest_call } from "../sdk";

register("HandleRequest", (payload: ArrayBuffer): Result => {
  const req = Request.decode(payload);
  const kv = new KeyValue();
  const key = req.path.replaceAll("/", ":");
  const added = kv.add(key + ":visits", 1);
  if (!added.ok) return failure(added.error);
  const agent = req.header.has("user-agent") ? req.header.get("user-agent") : "";
  const stored = kv.set(key + ":last-agent", agent);
  if (!stored.ok) return failure(stored.error);
  const note = kv.get(key + ":note");
  if (!note.ok) return failure(note.error);
  const visits = KeyValue.addValue(added);
  writeLog(LOG_INFO, "visit " + visits.toString() + " of " + req.path);
  return Result.success(Response.json(200, "{\"visits\":" + visits.toString() + ",\"note\":" + jsonString(KeyValue.getValue(note)) + "}").encode());
});

function failure(error: string): Result {
  return Result.success(Response.json(500, "{\"error\":" + jsonString(error) + "}").encode());
}
