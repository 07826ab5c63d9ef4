// Hostile: allocates without bound until the memory ceiling makes it trap.
import { register, Result } from "../sdk";
export { __guest_call } from "../sdk";

const hoard = new Array<ArrayBuffer>();
function grab(payload: ArrayBuffer): Result {
  while (payload.byteLength >= 0) hoard.push(new ArrayBuffer(1 << 20));
  return Result.success(payload);
}
register("HandleRequest", grab);
register("Hog", grab);
