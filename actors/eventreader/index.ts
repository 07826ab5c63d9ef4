// Event streams example, the reading side: each DeliverEvent counts its event in key-value,
// under "seen:<n>" (how often event n arrived) and "delivered" (how many arrived at all).
// A failed key-value call fails the delivery, so the event stays pending and comes again.
import { KeyValue, register, Result, StreamEvent } from "../sdk";
export { __guest_call } from "../sdk";

register("DeliverEvent", (payload: ArrayBuffer): Result => {
  const event = StreamEvent.decode(payload);
  const n = event.values.has("n") ? event.values.get("n") : "?";
  const kv = new KeyValue();
  const seen = kv.add("seen:" + n, 1);
  if (!seen.ok) return Result.failure(seen.error);
  const all = kv.add("delivered", 1);
  if (!all.ok) return Result.failure(all.error);
  return Result.success(new ArrayBuffer(0));
});
