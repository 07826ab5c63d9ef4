// Atmo example `modify-url`: the input (or state `url` when the input is empty) + "/suborbital".
import { register, Request, Result } from "../../runnable-sdk";
export { allocate, deallocate, run_e } from "../../runnable-sdk";

register((input: ArrayBuffer): Result => {
  const url = input.byteLength > 0 ? String.UTF8.decode(input) : Request.state("url");
  return Result.text(url + "/suborbital");
});
