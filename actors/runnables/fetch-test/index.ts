// Atmo example `fetch-test`: logs state `logme` at info, then GETs state `url` and answers the
// body; a failed fetch is RunErr 500 with the host's text.
import { Http, Log, register, Request, Result } from "../../runnable-sdk";
export { allocate, deallocate, run_e } from "../../runnable-sdk";

register((input: ArrayBuffer): Result => {
  Log.info(Request.state("logme"));
  return Http.get(Request.state("url"));
});
