// return_error with the code (and message) from the input: "<code>[ <message>]"; the message
// defaults to "fail" and a code that is not a number to 500.
import { register, Result } from "../../runnable-sdk";
export { allocate, deallocate, run_e } from "../../runnable-sdk";

register((input: ArrayBuffer): Result => {
  const text = String.UTF8.decode(input).trim();
  const space = text.indexOf(" ");
  const codeText = space < 0 ? text : text.substring(0, space);
  const parsed = parseInt(codeText, 10);
  const code = isNaN(parsed) ? 500 : <i32>parsed;
  const message = space < 0 ? "fail" : text.substring(space + 1);
  return Result.failure(code, message);
});
