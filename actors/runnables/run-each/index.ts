// Atmo example `run-each` (a forEach element function): reads state `__elem`, a JSON object,
// and answers {"name":"Hello <name>"}; 500 "failed to from_slice" when it has no string name.
import { jsonString, jsonStringField, register, Request, Result } from "../../runnable-sdk";
export { allocate, deallocate, run_e } from "../../runnable-sdk";

register((input: ArrayBuffer): Result => {
  const name = jsonStringField(Request.state("__elem"), "name");
  if (name == null) return Result.failure(500, "failed to from_slice");
  return Result.text("{\"name\":" + jsonString("Hello " + name) + "}");
});
