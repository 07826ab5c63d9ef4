// Every request field type as JSON. The keys to read come from the request's own query string
// (`?body=…&header=…&param=…&state=…&query=…`, defaults below), so a caller can assert each.
// A field the host refused (e.g. a body field of a non-JSON body) is null.
import { FieldType, jsonString, register, Request, Result } from "../../runnable-sdk";
export { allocate, deallocate, run_e } from "../../runnable-sdk";

function keyFor(name: string, fallback: string): string {
  const chosen = Request.query(name);
  return chosen.length > 0 ? chosen : fallback;
}

function field(fieldType: i32, key: string): string {
  const value = Request.getField(fieldType, key);
  return value.ok ? jsonString(value.toString()) : "null";
}

register((input: ArrayBuffer): Result => {
  const bodyKey = keyFor("body", "username");
  const headerKey = keyFor("header", "x-test");
  const paramKey = keyFor("param", "id");
  const stateKey = keyFor("state", "hello");
  const queryKey = keyFor("query", "message");
  const json = "{\"input\":" + jsonString(String.UTF8.decode(input)) +
    ",\"method\":" + field(FieldType.META, "method") +
    ",\"url\":" + field(FieldType.META, "url") +
    ",\"id\":" + field(FieldType.META, "id") +
    ",\"body\":" + field(FieldType.META, "body") +
    ",\"bodyField\":" + field(FieldType.BODY, bodyKey) +
    ",\"header\":" + field(FieldType.HEADER, headerKey) +
    ",\"param\":" + field(FieldType.PARAM, paramKey) +
    ",\"state\":" + field(FieldType.STATE, stateKey) +
    ",\"query\":" + field(FieldType.QUERY, queryKey) +
    ",\"keys\":{\"bodyField\":" + jsonString(bodyKey) + ",\"header\":" + jsonString(headerKey) +
    ",\"param\":" + jsonString(paramKey) + ",\"state\":" + jsonString(stateKey) + ",\"query\":" + jsonString(queryKey) + "}}";
  return Result.text(json);
});
