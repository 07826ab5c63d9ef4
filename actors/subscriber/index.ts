// Messaging subscriber: logs each message, stores it as "last:<subject>", and answers
// "reply:<body>" to its reply subject when there is one.
import { BrokerMessage, KeyValue, LOG_INFO, Messaging, register, Result, writeLog } from "../sdk";
export { __guest_call } from "../sdk";

register("DeliverMessage", (payload: ArrayBuffer): Result => {
  const msg = BrokerMessage.decode(payload);
  const text = String.UTF8.decode(msg.body.buffer);
  writeLog(LOG_INFO, "received on " + msg.subject + ": " + text);
  const stored = new KeyValue().set("last:" + msg.subject, text);
  if (!stored.ok) return Result.failure(stored.error);
  if (msg.replyTo.length > 0) {
    const sent = new Messaging().publish(msg.replyTo, "", Uint8Array.wrap(String.UTF8.encode("reply:" + text)));
    if (!sent.ok) return Result.failure(sent.error);
  }
  return Result.success(new ArrayBuffer(0));
});
