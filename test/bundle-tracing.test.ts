/**
 * One trace per bundle request (docs/tracing.md): the HTTP span, a span per step of the
 * sequence (`step fn`, `step group`, `step forEach`) with the functions it calls, and each
 * function's invocation under its step; real runnables, a real OTLP receiver.
 */
import { pino } from "pino";
import { afterAll, beforeAll, expect, it } from "vitest";
import { BundleRunner } from "../src/bundle/run/bundle-runner.js";
import { Host } from "../src/host/host.js";
import { startTracing, type Tracing } from "../src/tracing/mod.js";
import { loadedBundle, xDirective } from "./helpers/bundles.js";
import { eventually } from "./helpers/eventually.js";
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from "./helpers/otlp-receiver.js";
import { traceparent } from "./helpers/trace-ids.js";

const FUNCTIONS = ["echo", "helloworld-rs", "fields"];
const DIRECTIVE = xDirective(
  `handlers:
  - type: request
    method: POST
    resource: /chain
    steps:
      - fn: echo
      - group:
          - fn: helloworld-rs
          - fn: fields
      - fn: echo
`,
  FUNCTIONS,
);

let receiver: OtlpReceiver;
let tracing: Tracing;
let host: Host;
let runner: BundleRunner;
let base = "";

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  tracing = await startTracing({ protocol: "http/json", url: `${receiver.url}/v1/traces` }, { serviceName: "wactor-bundle-test" });
  host = new Host({ logger: pino({ level: "silent" }), tracing });
  runner = new BundleRunner(host, await loadedBundle({ directive: DIRECTIVE, modules: Object.fromEntries(FUNCTIONS.map((f) => [f, f])) }), {
    http: { port: 0 },
    runSchedules: false,
  });
  base = `http://127.0.0.1:${(await runner.start()).address!.port}`;
}, 240_000);
afterAll(async () => {
  await runner?.stop();
  await host?.shutdown();
  await tracing?.shutdown();
  await receiver?.close();
});

it("a request's trace has a span per step under the HTTP span, and each function's invocation under its step", async () => {
  const parent = traceparent();
  const res = await fetch(`${base}/chain`, { method: "POST", headers: { traceparent: parent.header }, body: "traced" });
  expect(res.status).toBe(200);
  const spans = await eventually(async () => {
    await tracing.flush();
    const got = receiver.trace(parent.traceId);
    expect(got.filter((s) => s.name.startsWith("step ")).length).toBe(3);
    expect(got.filter((s) => s.name.startsWith("invoke ")).length).toBe(4);
    return got;
  });
  const server = spans.find((s) => s.parentSpanId === parent.parentId)!;
  expect(server.name).toBe("POST");
  const steps = spans
    .filter((s) => s.name.startsWith("step "))
    .sort((a, b) => Number(a.attributes["wactor.step.index"]) - Number(b.attributes["wactor.step.index"]));
  expect(steps.map((s) => [s.name, s.attributes["wactor.step.functions"], s.parentSpanId])).toEqual([
    ["step fn", "echo", server.spanId],
    ["step group", "helloworld-rs,fields", server.spanId],
    ["step fn", "echo", server.spanId],
  ]);
  for (const step of steps) expect(step.attributes).toMatchObject({ "wactor.bundle": "com.suborbital.test", "wactor.outcome": "ok" });
  const under = (step: ReceivedSpan): string[] =>
    spans
      .filter((s) => s.parentSpanId === step.spanId)
      .map((s) => String(s.attributes["wactor.actor.name"]))
      .sort();
  expect(steps.map(under)).toEqual([["default::echo"], ["default::fields", "default::helloworld-rs"], ["default::echo"]]);
});
