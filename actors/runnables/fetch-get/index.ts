// One GET of the URL in the input (trimmed); answers the body, or RunErr 500 with the host's
// text. The fetch_url runnable of bench/runnables.ts.
import { Http, register, Result } from "../../runnable-sdk";
export { allocate, deallocate, run_e } from "../../runnable-sdk";

register((input: ArrayBuffer): Result => Http.get(String.UTF8.decode(input).trim()));
