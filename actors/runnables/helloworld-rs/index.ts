// Atmo example `helloworld-rs` (named after the Rust original): "hello " + input.
import { register, Result } from "../../runnable-sdk";
export { allocate, deallocate, run_e } from "../../runnable-sdk";

register((input: ArrayBuffer): Result => Result.text("hello " + String.UTF8.decode(input)));
