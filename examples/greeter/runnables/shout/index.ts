// State `text` in upper case (the Directive maps it with `with: { text: greet }`).
import { register, Request, Result } from "../../../../actors/runnable-sdk";
export { allocate, deallocate, run_e } from "../../../../actors/runnable-sdk";

register((input: ArrayBuffer): Result => Result.text(Request.state("text").toUpperCase()));
