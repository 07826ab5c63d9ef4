// Dice: the wascc:extras helpers of the SDK. HandleRequest replies
// {"id":"<guid>","roll":1..6,"seq":N}: a fresh GUID, a die roll and this actor's sequence number.
import { register, requestGuid, requestRandom, requestSequence, Response, Result } from "../sdk";
export { __guest_call } from "../sdk";

register("HandleRequest", (_payload: ArrayBuffer): Result => {
  const id = requestGuid();
  const roll = requestRandom(1, 6);
  const seq = requestSequence();
  if (id.length == 0) return Result.success(Response.json(500, "{\"error\":\"no guid: is wascc:extras bound?\"}").encode());
  return Result.success(Response.json(200, "{\"id\":\"" + id + "\",\"roll\":" + roll.toString() + ",\"seq\":" + seq.toString() + "}").encode());
});
