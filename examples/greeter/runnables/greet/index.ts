// "Hello, <body>!" ("Hello, stranger!" for an empty body).
import { register, Result } from "../../../../actors/runnable-sdk";
export { allocate, deallocate, run_e } from "../../../../actors/runnable-sdk";

register((input: ArrayBuffer): Result => {
  const name = String.UTF8.decode(input).trim();
  return Result.text("Hello, " + (name.length > 0 ? name : "stranger") + "!");
});
