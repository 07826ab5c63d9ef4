// The greeting, its loud form and the count from the state, as JSON.
import { jsonString, register, Request, respSetHeader, Result } from "../../../../actors/runnable-sdk";
export { allocate, deallocate, run_e } from "../../../../actors/runnable-sdk";

register((input: ArrayBuffer): Result => {
  respSetHeader("Content-Type", "application/json");
  return Result.text("{\"greeting\":" + jsonString(Request.state("greet")) +
    ",\"loud\":" + jsonString(Request.state("shout")) +
    ",\"count\":" + Request.state("count") + "}");
});
