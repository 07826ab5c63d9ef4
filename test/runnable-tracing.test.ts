/**
 * A runnable's jobs are traced like an actor's invocations (docs/tracing.md): the HTTP request,
 * the invocation, and each import that reaches a capability as a host-call span under it; an
 * import the runnable did not claim is an error span.
 */
import { pino } from "pino";
import { afterAll, beforeAll, expect, it } from "vitest";
import { HttpServerProvider, KeyValueProvider } from "../capabilities/mod.js";
import { Host } from "../src/host/host.js";
import { startTracing, type Tracing } from "../src/tracing/mod.js";
import { eventually } from "./helpers/eventually.js";
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from "./helpers/otlp-receiver.js";
import { capabilityRunnable, signedRunnable } from "./helpers/runnable-guests.js";
import { chain, only, traceparent } from "./helpers/trace-ids.js";

let receiver: OtlpReceiver;
let tracing: Tracing;
let host: Host;
let url = "";
const http = new HttpServerProvider();

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  tracing = await startTracing({ protocol: "http/json", url: `${receiver.url}/v1/traces` }, { serviceName: "wactor-runnable-test" });
  host = new Host({ logger: pino({ level: "silent" }), tracing });
  await host.addProvider(http);
  await host.addProvider(new KeyValueProvider());
  const { bytes, key } = await signedRunnable(capabilityRunnable(), { caps: ["wascc:http_server", "wascc:keyvalue"], name: "traced-runnable" });
  await host.startActor(bytes);
  await host.bind(key, "wascc:http_server", "default", { PORT: "0" });
  await host.bind(key, "wascc:keyvalue", "default", {});
  url = `http://127.0.0.1:${http.address(key, "default")!.port}`;
}, 240_000);
afterAll(async () => {
  await host?.shutdown();
  await tracing?.shutdown();
  await receiver?.close();
});

const spansOf = (traceId: string, count: number): Promise<ReceivedSpan[]> =>
  eventually(async () => {
    await tracing.flush();
    const spans = receiver.trace(traceId);
    expect(spans.length, spans.map((s) => s.name).join(", ")).toBeGreaterThanOrEqual(count);
    return spans;
  });

it("HTTP -> invocation -> cache_set as a wascc:keyvalue Set span", async () => {
  const parent = traceparent();
  const res = await fetch(`${url}/`, { method: "POST", headers: { traceparent: parent.header }, body: "straced" });
  expect(await res.text()).toBe("0");
  const spans = await spansOf(parent.traceId, 3);
  const [, invoke, call] = chain(spans, parent.parentId, "POST", "invoke HandleRequest", "call wascc:keyvalue Set") as [
    ReceivedSpan,
    ReceivedSpan,
    ReceivedSpan,
  ];
  expect(invoke.attributes).toMatchObject({ "wactor.actor.name": "traced-runnable", "wactor.outcome": "ok" });
  expect(call.attributes).toMatchObject({ "wactor.capability": "wascc:keyvalue", "wactor.binding": "default", "wactor.outcome": "ok" });
});

it("fetch_url without the claim is an error span under the invocation; the job answers 'capability is not enabled'", async () => {
  const parent = traceparent();
  const res = await fetch(`${url}/`, { method: "POST", headers: { traceparent: parent.header }, body: "fhttp://127.0.0.1:1/" });
  expect(res.status).toBe(400);
  expect(await res.json()).toEqual({ status: 400, message: "capability is not enabled" });
  const spans = await spansOf(parent.traceId, 3);
  const denied = only(spans, "call wascc:http_client Request");
  expect(denied.parentSpanId).toBe(only(spans, "invoke HandleRequest").spanId);
  expect(denied.status.code).toBe(2);
});
