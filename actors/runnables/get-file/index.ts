// Atmo example `get-file`: the static file named by route param `file` (else state `file`);
// "failed" when there is no such file.
import { register, Request, Result, StaticFile } from "../../runnable-sdk";
export { allocate, deallocate, run_e } from "../../runnable-sdk";

register((input: ArrayBuffer): Result => {
  let name = Request.param("file");
  if (name.length == 0) name = Request.state("file");
  const file = StaticFile.get(name);
  return file.ok ? file : Result.text("failed");
});
