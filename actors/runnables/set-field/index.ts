// request_set_field on header, state, param, meta method and (for a JSON body) a body field, each
// read back; plus the two refusals: query fields are read-only, unknown meta keys do not exist.
import { FieldType, jsonString, register, Request, Result } from "../../runnable-sdk";
export { allocate, deallocate, run_e } from "../../runnable-sdk";

/** Sets a field and reads it back; null when either call failed. */
function setAndRead(fieldType: i32, key: string, value: string): string {
  if (!Request.setField(fieldType, key, value).ok) return "null";
  const read = Request.getField(fieldType, key);
  return read.ok ? jsonString(read.toString()) : "null";
}

/** The host's refusal text; null if the call unexpectedly succeeded. */
function refusal(fieldType: i32, key: string): string {
  const set = Request.setField(fieldType, key, "x");
  return set.ok ? "null" : jsonString(set.message);
}

register((input: ArrayBuffer): Result => {
  // Only a JSON object body has fields to set (a missing field reads as an error, so look at the body).
  const jsonBody = String.UTF8.decode(Request.body()).trimStart().startsWith("{");
  const json = "{\"header\":" + setAndRead(FieldType.HEADER, "x-set-field", "header-value") +
    ",\"state\":" + setAndRead(FieldType.STATE, "set-field", "state-value") +
    ",\"param\":" + setAndRead(FieldType.PARAM, "set-field", "param-value") +
    ",\"method\":" + setAndRead(FieldType.META, "method", "PATCH") +
    ",\"bodyField\":" + (jsonBody ? setAndRead(FieldType.BODY, "set-field", "body-value") : "null") +
    ",\"queryError\":" + refusal(FieldType.QUERY, "set-field") +
    ",\"metaError\":" + refusal(FieldType.META, "nope") + "}";
  return Result.text(json);
});
