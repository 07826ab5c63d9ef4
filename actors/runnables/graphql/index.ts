// GraphQL: input is "<endpoint>\n<query>" (the query defaults to "{ hello }"); answers the
// host's {"data":…} JSON, or RunErr 500 with its text.
import { GraphQL, register, Result } from "../../runnable-sdk";
export { allocate, deallocate, run_e } from "../../runnable-sdk";

register((input: ArrayBuffer): Result => {
  const text = String.UTF8.decode(input);
  const newline = text.indexOf("\n");
  const endpoint = newline < 0 ? text.trim() : text.substring(0, newline).trim();
  const query = newline < 0 ? "{ hello }" : text.substring(newline + 1);
  return GraphQL.query(endpoint, query);
});
