/**
 * Spans of the messaging provider: a producer span per Publish/Request (its context goes out
 * in the message's `traceparent` header, so a traced subscriber continues the trace), and a
 * consumer span per delivery, continuing the header when the message carries one.
 */
import { headers as natsHeaders, type Msg, type MsgHdrs } from "nats";
import { ATTR, SPAN } from "../../src/tracing/names.js";
import type { Tracing } from "../../src/tracing/tracing.js";

export function tracePublish<T>(tracing: Tracing, operation: string, subject: string, send: (headers: MsgHdrs | undefined) => Promise<T>): Promise<T> {
  const attributes = { [ATTR.messagingSystem]: "nats", [ATTR.messagingOperation]: operation, [ATTR.messagingDestination]: subject };
  return tracing.traced(SPAN.natsPublish(operation), "producer", attributes, () => {
    const carrier = tracing.inject();
    if (!carrier) return send(undefined);
    const h = natsHeaders();
    h.set("traceparent", carrier.traceparent);
    if (carrier.tracestate !== undefined) h.set("tracestate", carrier.tracestate);
    return send(h);
  });
}

export function traceDelivery(tracing: Tracing, actorKey: string, msg: Msg, deliver: () => Promise<Uint8Array>): Promise<Uint8Array> {
  const traceparent = msg.headers?.get("traceparent");
  const tracestate = msg.headers?.get("tracestate");
  const parent = tracing.extract(traceparent ? { traceparent, ...(tracestate && { tracestate }) } : undefined);
  const attributes = {
    [ATTR.messagingSystem]: "nats",
    [ATTR.messagingOperation]: "deliver",
    [ATTR.messagingDestination]: msg.subject,
    [ATTR.actorKey]: actorKey,
  };
  return tracing.traced(SPAN.natsDeliver, "consumer", attributes, deliver, parent);
}
