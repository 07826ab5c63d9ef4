/**
 * Tracing through NATS messaging: a message carrying a `traceparent` header is delivered in
 * that trace (nats deliver -> invocation -> host calls), and what the actor publishes carries
 * the trace on in its own header.
 */
import { connect, headers, type NatsConnection } from "nats";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeyValueProvider, LoggingProvider, MessagingProvider } from "../capabilities/mod.js";
import { Host } from "../src/host/host.js";
import { startTracing, type Tracing } from "../src/tracing/mod.js";
import { signedBytes } from "./helpers/actors.js";
import { eventually } from "./helpers/eventually.js";
import { startOtlpReceiver, type OtlpReceiver } from "./helpers/otlp-receiver.js";
import { startNats, type ServerHandle } from "./helpers/servers.js";
import { only, traceparent } from "./helpers/trace-ids.js";

describe("tracing over NATS messaging", () => {
  let nats: ServerHandle;
  let receiver: OtlpReceiver;
  let tracing: Tracing;
  let host: Host;
  let client: NatsConnection;

  beforeAll(async () => {
    [nats, receiver] = await Promise.all([startNats(), startOtlpReceiver()]);
    tracing = await startTracing({ protocol: "http/protobuf", url: `${receiver.url}/v1/traces` });
    host = new Host({ logger: pino({ level: "silent" }), tracing });
    for (const provider of [new MessagingProvider(), new KeyValueProvider(), new LoggingProvider()]) await host.addProvider(provider);
    const key = (await host.startActor(signedBytes("subscriber"))).key;
    await host.bind(key, "wascc:messaging", "", { URL: nats.url, SUBSCRIPTION: "traced.in" });
    await host.bind(key, "wascc:keyvalue", "", {});
    await host.bind(key, "wascc:logging", "", {});
    client = await connect({ servers: nats.url });
  });

  afterAll(async () => {
    await client?.close();
    await host?.shutdown();
    await tracing?.shutdown();
    await Promise.all([nats?.stop(), receiver?.close()]);
  });

  it("a request with a traceparent header: deliver -> invoke -> host calls -> publish, and the reply carries the trace", async () => {
    const parent = traceparent();
    const h = headers();
    h.set("traceparent", parent.header);
    const reply = await client.request("traced.in", new TextEncoder().encode("hi"), { timeout: 5000, headers: h });
    expect(new TextDecoder().decode(reply.data)).toBe("reply:hi");
    expect(reply.headers?.get("traceparent")).toMatch(new RegExp(`^00-${parent.traceId}-[0-9a-f]{16}-01$`));
    const spans = await eventually(async () => {
      await tracing.flush();
      const found = receiver.trace(parent.traceId);
      expect(found.length).toBeGreaterThanOrEqual(6);
      return found;
    });
    const deliver = only(spans, "nats deliver");
    const invoke = only(spans, "invoke DeliverMessage");
    const publishCall = only(spans, "call wascc:messaging Publish");
    const publish = only(spans, "nats Publish");
    expect(deliver).toMatchObject({
      parentSpanId: parent.parentId,
      kind: 5,
      attributes: { "messaging.system": "nats", "messaging.destination.name": "traced.in" },
    });
    expect(invoke.parentSpanId).toBe(deliver.spanId);
    for (const name of ["call wascc:logging WriteLog", "call wascc:keyvalue Set"]) expect(only(spans, name).parentSpanId).toBe(invoke.spanId);
    expect(publishCall.parentSpanId).toBe(invoke.spanId);
    expect(publish).toMatchObject({ parentSpanId: publishCall.spanId, kind: 4 });
    expect(reply.headers?.get("traceparent")).toBe(`00-${parent.traceId}-${publish.spanId}-01`);
    // The embedded key-value store does no I/O: no Redis span.
    expect(spans.some((s) => s.name.startsWith("redis"))).toBe(false);
  });
});
