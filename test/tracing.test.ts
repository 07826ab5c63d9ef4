/**
 * Distributed tracing (docs/tracing.md): one trace from the HTTP request through the actor's
 * invocation, its host calls and Redis, exported over OTLP/HTTP (json and protobuf) to a
 * receiver started here; denials as error spans; trace ids in log lines; nothing when off.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HttpServerProvider, KeyValueProvider, LoggingProvider } from "../capabilities/mod.js";
import { decodeHttpResponse, encodeHttpRequest } from "../src/codec/mod.js";
import { Host } from "../src/host/host.js";
import { startTracing, tracingConfig, tracesUrl, type OtlpProtocol, type Tracing } from "../src/tracing/mod.js";
import { actor, signedBytes } from "./helpers/actors.js";
import { eventually } from "./helpers/eventually.js";
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from "./helpers/otlp-receiver.js";
import { startRedis, type ServerHandle } from "./helpers/servers.js";
import { chain, only, traceparent } from "./helpers/trace-ids.js";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

describe("tracing configuration (OTEL_* variables and --otlp)", () => {
  it("is off without an endpoint, and off when the SDK is disabled or the exporter is none", () => {
    expect(tracingConfig({})).toBeUndefined();
    expect(tracingConfig({ OTEL_SERVICE_NAME: "x", OTEL_TRACES_SAMPLER: "always_on" })).toBeUndefined();
    expect(tracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_SDK_DISABLED: "true" })).toBeUndefined();
    expect(tracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_TRACES_EXPORTER: "none" })).toBeUndefined();
  });

  it("an endpoint variable turns it on (http/protobuf by default, the exporter reads the URL); --otlp names the URL", () => {
    expect(tracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" })).toEqual({ protocol: "http/protobuf", url: undefined });
    expect(tracingConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://c:4318/v1/traces", OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" })).toEqual({
      protocol: "http/json",
      url: undefined,
    });
    expect(
      tracingConfig({ OTEL_EXPORTER_OTLP_PROTOCOL: "http/json", OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http/protobuf", OTEL_EXPORTER_OTLP_ENDPOINT: "http://c" })
        ?.protocol,
    ).toBe("http/protobuf");
    expect(tracingConfig({}, "http://collector:4318")).toEqual({ protocol: "http/protobuf", url: "http://collector:4318/v1/traces" });
    expect(tracesUrl("http://tempo:4318/v1/traces")).toBe("http://tempo:4318/v1/traces");
    expect(tracesUrl("https://otel.example/base/")).toBe("https://otel.example/base/v1/traces");
  });

  it("refuses grpc, other exporters and a flag that is not an http(s) URL, with WACTOR_ERR_TRACING_CONFIG", () => {
    expect(() => tracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c", OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" })).toThrow(
      expect.objectContaining({ code: "WACTOR_ERR_TRACING_CONFIG" }),
    );
    expect(() => tracingConfig({ OTEL_TRACES_EXPORTER: "zipkin" })).toThrow(expect.objectContaining({ code: "WACTOR_ERR_TRACING_CONFIG" }));
    expect(() => tracingConfig({}, "collector:4318")).toThrow(expect.objectContaining({ code: "WACTOR_ERR_TRACING_CONFIG" }));
  });
});

describe.each(["http/json", "http/protobuf"] as const)("one host, exported over %s", (protocol: OtlpProtocol) => {
  let redis: ServerHandle;
  let receiver: OtlpReceiver;
  let tracing: Tracing;
  let host: Host;
  const lines: Array<Record<string, unknown>> = [];
  const http = new HttpServerProvider();
  const kvcounter = actor("kvcounter").publicKey;
  const visits = actor("visits").publicKey;
  const sneaky = actor("sneaky").publicKey;
  const echo = actor("echo").publicKey;
  let urls: Record<string, string>;

  beforeAll(async () => {
    [redis, receiver] = await Promise.all([startRedis(), startOtlpReceiver()]);
    tracing = await startTracing({ protocol, url: `${receiver.url}/v1/traces` }, { serviceName: "wactor-test" });
    const logger = pino(
      { level: "info", mixin: () => tracing.logFields() },
      { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
    );
    host = new Host({ logger, tracing, actorDefaults: { instances: 1 } });
    for (const provider of [http, new KeyValueProvider(), new LoggingProvider()]) await host.addProvider(provider);
    for (const name of ["kvcounter", "visits", "sneaky", "echo"]) await host.startActor(signedBytes(name));
    for (const key of [kvcounter, visits, sneaky, echo]) await host.bind(key, "wascc:http_server", "", { PORT: "0" });
    await host.bind(kvcounter, "wascc:keyvalue", "", { URL: redis.url });
    await host.bind(visits, "wascc:keyvalue", "", { URL: redis.url });
    await host.bind(visits, "wascc:logging", "", {});
    urls = Object.fromEntries([kvcounter, visits, sneaky, echo].map((key) => [key, `http://127.0.0.1:${http.address(key, "default")!.port}`]));
  });

  afterAll(async () => {
    await host?.shutdown();
    await tracing?.shutdown();
    await Promise.all([redis?.stop(), receiver?.close()]);
  });

  /** The spans of one trace once `count` of them arrived (ended spans are flushed first). */
  const spansOf = (traceId: string, count: number): Promise<ReceivedSpan[]> =>
    eventually(async () => {
      await tracing.flush();
      const spans = receiver.trace(traceId);
      expect(spans.length, spans.map((s) => s.name).join(", ")).toBeGreaterThanOrEqual(count);
      return spans;
    });

  it("a request with a traceparent to kvcounter is one trace: HTTP -> invocation -> key-value call -> Redis", async () => {
    const parent = traceparent();
    const res = await fetch(`${urls[kvcounter]}/traced?x=1`, { headers: { traceparent: parent.header } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ counter: 1 });
    const spans = await spansOf(parent.traceId, 4);
    const [server, invoke, call, io] = chain(spans, parent.parentId, "GET", "invoke HandleRequest", "call wascc:keyvalue Add", "redis Add") as [
      ReceivedSpan,
      ReceivedSpan,
      ReceivedSpan,
      ReceivedSpan,
    ];
    expect(server).toMatchObject({
      kind: 2,
      service: "wactor-test",
      attributes: { "http.request.method": "GET", "url.path": "/traced", "http.response.status_code": 200, "wactor.outcome": "ok" },
    });
    expect(invoke.attributes).toMatchObject({
      "wactor.actor.key": kvcounter,
      "wactor.actor.name": "kvcounter",
      "wactor.operation": "HandleRequest",
      "wactor.outcome": "ok",
      "wactor.instance_wait_ms": 0,
    });
    expect(call.attributes).toMatchObject({
      "wactor.capability": "wascc:keyvalue",
      "wactor.binding": "default",
      "wactor.operation": "Add",
      "wactor.outcome": "ok",
    });
    expect(io).toMatchObject({ kind: 3, attributes: { "db.system.name": "redis", "db.operation.name": "Add" } });
    expect(spans.every((s) => s.status.code !== 2)).toBe(true);
  });

  it("the exporter sends the configured encoding", () => {
    expect(receiver.contentTypes.length).toBeGreaterThan(0);
    const expected = protocol === "http/json" ? "application/json" : "application/x-protobuf";
    expect(receiver.contentTypes.every((t) => t.startsWith(expected))).toBe(true);
  });

  it("a request without a traceparent starts a trace of its own", async () => {
    const before = new Set(receiver.spans.map((s) => s.traceId));
    const res = await fetch(`${urls[echo]}/fresh`);
    expect(res.status).toBe(200);
    const root = await eventually(async () => {
      await tracing.flush();
      const found = receiver.spans.find((s) => s.name === "GET" && s.attributes["url.path"] === "/fresh");
      expect(found).toBeDefined();
      return found!;
    });
    expect(root.parentSpanId).toBe("");
    expect(before.has(root.traceId)).toBe(false);
    expect(only(receiver.trace(root.traceId), "invoke HandleRequest").parentSpanId).toBe(root.spanId);
  });

  it("a host call the actor did not claim is an error span under its invocation", async () => {
    const parent = traceparent();
    const res = await fetch(`${urls[sneaky]}/`, { headers: { traceparent: parent.header } });
    expect(res.status).toBe(500);
    const spans = await spansOf(parent.traceId, 3);
    const denied = only(spans, "call wascc:keyvalue Add");
    expect(denied.parentSpanId).toBe(only(spans, "invoke HandleRequest").spanId);
    expect(denied.status.code).toBe(2);
    expect(denied.attributes).toMatchObject({ "wactor.outcome": "WACTOR_ERR_PERMISSION_DENIED", "wactor.denial": "not-claimed", "wactor.actor.key": sneaky });
    expect(denied.events).toContain("exception");
  });

  it("a host call without a binding is denied by the host: an error span, and no Redis span", async () => {
    await host.unbind(kvcounter, "wascc:keyvalue", "");
    try {
      const parent = traceparent();
      const res = await fetch(`${urls[kvcounter]}/unbound`, { headers: { traceparent: parent.header } });
      expect(res.status).toBe(500);
      const spans = await spansOf(parent.traceId, 3);
      const denied = only(spans, "call wascc:keyvalue Add");
      expect(denied.status.code).toBe(2);
      expect(denied.attributes["wactor.outcome"]).toBe("WACTOR_ERR_PERMISSION_DENIED");
      expect(spans.some((s) => s.name.startsWith("redis"))).toBe(false);
    } finally {
      await host.bind(kvcounter, "wascc:keyvalue", "", { URL: redis.url });
    }
  });

  it("invocations that waited for the one instance keep their own trace, and report the wait", async () => {
    const parents = Array.from({ length: 8 }, () => traceparent());
    // Invoked in one turn: the first takes the only instance and suspends on Redis, the rest queue.
    const payload = encodeHttpRequest({ method: "GET", path: "/queued", queryString: "", header: {}, body: new Uint8Array(0) });
    const replies = await Promise.all(
      parents.map((p) => tracing.run(tracing.extract({ traceparent: p.header }), () => host.invoke(kvcounter, "HandleRequest", payload))),
    );
    expect(replies.map((r) => decodeHttpResponse(r).statusCode)).toEqual(parents.map(() => 200));
    const waits: number[] = [];
    for (const parent of parents) {
      const spans = await spansOf(parent.traceId, 3);
      const invoke = only(spans, "invoke HandleRequest");
      expect(invoke.parentSpanId).toBe(parent.parentId);
      const call = only(spans, "call wascc:keyvalue Add");
      expect(call.parentSpanId).toBe(invoke.spanId);
      expect(only(spans, "redis Add").parentSpanId).toBe(call.spanId);
      waits.push(Number(invoke.attributes["wactor.instance_wait_ms"]));
    }
    expect(waits.filter((w) => w > 0)).toHaveLength(7);
  });

  it("log lines written inside a traced invocation carry its trace_id and span_id", async () => {
    const parent = traceparent();
    const res = await fetch(`${urls[visits]}/logged`, { headers: { traceparent: parent.header } });
    expect(res.status).toBe(200);
    const spans = await spansOf(parent.traceId, 6);
    const line = lines.find((l) => typeof l.msg === "string" && l.msg.includes("of /logged"));
    expect(line).toBeDefined();
    expect(line!.trace_id).toBe(parent.traceId);
    // The WriteLog host call's span is the one that was active when the provider logged.
    expect(line!.span_id).toBe(only(spans, "call wascc:logging WriteLog").spanId);
  });
});

describe.each(["thread", "executor"] as const)("%s isolation", (isolation) => {
  it("host calls made on another thread are spans of the invocation that made them", async () => {
    const receiver = await startOtlpReceiver();
    const tracing = await startTracing({ protocol: "http/json", url: `${receiver.url}/v1/traces` });
    const host = new Host({ logger: pino({ level: "silent" }), tracing, actorDefaults: { isolation, instances: 1 } });
    const http = new HttpServerProvider();
    try {
      for (const provider of [http, new KeyValueProvider()]) await host.addProvider(provider);
      const key = (await host.startActor(signedBytes("kvcounter"))).key;
      expect(host.actorInfo(key)?.isolation).toBe(isolation);
      await host.bind(key, "wascc:http_server", "", { PORT: "0" });
      await host.bind(key, "wascc:keyvalue", "", {});
      const parents = [traceparent(), traceparent(), traceparent()];
      const replies = await Promise.all(
        parents.map((p) => fetch(`http://127.0.0.1:${http.address(key, "default")!.port}/t`, { headers: { traceparent: p.header } })),
      );
      expect(replies.map((r) => r.status)).toEqual([200, 200, 200]);
      for (const parent of parents) {
        const spans = await eventually(async () => {
          await tracing.flush();
          const found = receiver.trace(parent.traceId);
          expect(found.length).toBeGreaterThanOrEqual(3);
          return found;
        });
        expect(only(spans, "call wascc:keyvalue Add").parentSpanId).toBe(only(spans, "invoke HandleRequest").spanId);
      }
    } finally {
      await host.shutdown();
      await tracing.shutdown();
      await receiver.close();
    }
  });
});

describe("executor isolation", () => {
  it("a host call refused by the claims gate on the executor thread is an error span under its invocation", async () => {
    const receiver = await startOtlpReceiver();
    const tracing = await startTracing({ protocol: "http/json", url: `${receiver.url}/v1/traces` });
    const host = new Host({ logger: pino({ level: "silent" }), tracing, actorDefaults: { isolation: "executor", instances: 1 } });
    const http = new HttpServerProvider();
    try {
      for (const provider of [http, new KeyValueProvider()]) await host.addProvider(provider);
      const key = (await host.startActor(signedBytes("sneaky"))).key;
      await host.bind(key, "wascc:http_server", "", { PORT: "0" });
      const parent = traceparent();
      const res = await fetch(`http://127.0.0.1:${http.address(key, "default")!.port}/`, { headers: { traceparent: parent.header } });
      expect(res.status).toBe(500);
      const spans = await eventually(async () => {
        await tracing.flush();
        const found = receiver.trace(parent.traceId);
        expect(found.map((s) => s.name)).toContain("call wascc:keyvalue Add");
        return found;
      });
      const denied = only(spans, "call wascc:keyvalue Add");
      expect(denied.parentSpanId).toBe(only(spans, "invoke HandleRequest").spanId);
      expect(denied.attributes).toMatchObject({ "wactor.outcome": "WACTOR_ERR_PERMISSION_DENIED", "wactor.denial": "not-claimed" });
    } finally {
      await host.shutdown();
      await tracing.shutdown();
      await receiver.close();
    }
  });
});

describe("tracing off", () => {
  it("no exporter configured: a traced request loads no SDK and no exporter, and the response is the same", () => {
    // A process of its own, so that no other test's SDK is in the module cache.
    const script = `
      import { createRequire } from "node:module";
      import { Host } from "./src/host/host.ts";
      import { HttpServerProvider } from "./capabilities/mod.ts";
      import { tracingConfig } from "./src/tracing/config.ts";
      import { signedBytes, actor } from "./test/helpers/actors.ts";
      import { pino } from "pino";
      if (tracingConfig(process.env) !== undefined) throw new Error("tracing configured");
      const host = new Host({ logger: pino({ level: "silent" }) });
      const http = new HttpServerProvider();
      await host.addProvider(http);
      const key = (await host.startActor(signedBytes("echo"))).key;
      await host.bind(key, "wascc:http_server", "", { PORT: "0" });
      const res = await fetch("http://127.0.0.1:" + http.address(key, "default").port + "/x", { headers: { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" } });
      const loaded = Object.keys(createRequire(import.meta.url).cache).filter((p) => p.includes("@opentelemetry"));
      await host.shutdown();
      console.log(JSON.stringify({ status: res.status, tracing: host.tracing === undefined ? "off" : "on", loaded }));
    `;
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("OTEL_")));
    const run = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: ROOT, env, encoding: "utf8", timeout: 60_000 });
    expect(run.stderr).toBe("");
    const result = JSON.parse(run.stdout.trim().split("\n").at(-1)!) as { status: number; tracing: string; loaded: string[] };
    expect(result).toEqual({ status: 200, tracing: "off", loaded: [] });
  });

  it("the probe can fail: the same check sees the SDK once tracing starts", async () => {
    const { createRequire } = await import("node:module");
    const receiver = await startOtlpReceiver();
    const tracing = await startTracing({ protocol: "http/json", url: `${receiver.url}/v1/traces` });
    try {
      expect(Object.keys(createRequire(import.meta.url).cache).some((p) => p.includes("@opentelemetry/sdk-trace"))).toBe(true);
    } finally {
      await tracing.shutdown();
      await receiver.close();
    }
  });
});
