// Answers "Ping" with "pong:" + payload.
import { register, Result } from "../sdk";
export { __guest_call } from "../sdk";

register("Ping", (payload: ArrayBuffer): Result => Result.success(String.UTF8.encode("pong:" + String.UTF8.decode(payload))));
