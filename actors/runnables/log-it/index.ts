// Atmo example `log-it`: logs the input at info (and a line more when run by a schedule,
// method SCHED) and answers "hello " + input.
import { Log, register, Request, Result } from "../../runnable-sdk";
export { allocate, deallocate, run_e } from "../../runnable-sdk";

register((input: ArrayBuffer): Result => {
  const text = String.UTF8.decode(input);
  Log.info(text);
  if (Request.method() == "SCHED") Log.info("running on a schedule");
  return Result.text("hello " + text);
});
