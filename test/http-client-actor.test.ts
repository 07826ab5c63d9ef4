/**
 * The fetcher actor through a traced host: an HTTP request in, one wascc:http_client request
 * out to a real fastify server, the upstream answer back. The claim is enforced at each call:
 * an actor without `wascc:http_client` (from the start, or after a live update drops it) is
 * denied at the host, the target receives nothing, and every denial is counted.
 */
import Fastify, { type FastifyInstance } from "fastify";
import { pino } from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { HttpClientProvider, HttpServerProvider } from "../capabilities/mod.js";
import { KeyPair } from "../src/claims/nkeys.js";
import { signModule } from "../src/claims/sign.js";
import { Host } from "../src/host/host.js";
import { startTracing, type Tracing } from "../src/tracing/mod.js";
import { unsignedBytes } from "./helpers/actors.js";
import { eventually } from "./helpers/eventually.js";
import { startOtlpReceiver, type OtlpReceiver } from "./helpers/otlp-receiver.js";
import { freePort } from "./helpers/servers.js";
import { only, traceparent } from "./helpers/trace-ids.js";

const CLIENT_AND_SERVER = ["wascc:http_server", "wascc:http_client"];

describe("the fetcher actor over wascc:http_client", () => {
  let receiver: OtlpReceiver;
  let tracing: Tracing;
  let host: Host;
  let upstream: FastifyInstance;
  let upstreamPort = 0;
  const received: Array<Record<string, string | string[] | undefined>> = [];
  const account = KeyPair.create("account");

  /** Starts a fetcher signed with `caps`, bound to a fresh HTTP port (and http_client when claimed). */
  async function fetcher(caps: string[], subject = KeyPair.create("module")): Promise<{ key: string; base: string; subject: KeyPair }> {
    const { bytes } = await signModule(unsignedBytes("fetcher"), { issuer: account, subject, caps, name: "fetcher-test" });
    const key = (await host.startActor(bytes)).key;
    const port = await freePort();
    await host.bind(key, "wascc:http_server", "default", { PORT: String(port) });
    if (caps.includes("wascc:http_client")) await host.bind(key, "wascc:http_client", "default", { ALLOWED_HOSTS: `127.0.0.1:${upstreamPort}` });
    return { key, base: `http://127.0.0.1:${port}`, subject };
  }

  const target = (path: string): string => `url=${encodeURIComponent(`http://127.0.0.1:${upstreamPort}${path}`)}`;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    tracing = await startTracing({ protocol: "http/protobuf", url: `${receiver.url}/v1/traces` });
    host = new Host({ logger: pino({ level: "silent" }), tracing, actorDefaults: { instances: 2 } });
    await host.addProvider(new HttpServerProvider());
    await host.addProvider(new HttpClientProvider());
    upstream = Fastify({ logger: false });
    upstream.get("/hello", async (request, reply) => {
      received.push(request.headers);
      return reply.code(201).type("text/plain").send("hello from upstream");
    });
    await upstream.listen({ port: 0, host: "127.0.0.1" });
    const address = upstream.server.address();
    upstreamPort = typeof address === "object" && address ? address.port : 0;
  });

  afterAll(async () => {
    await host?.shutdown();
    await tracing?.shutdown();
    await Promise.all([upstream?.close(), receiver?.close()]);
  });

  beforeEach(() => {
    received.length = 0;
  });

  it("fetches the URL and returns the upstream status and body, in one trace with traceparent sent upstream", async () => {
    const { base } = await fetcher(CLIENT_AND_SERVER);
    const parent = traceparent();
    const res = await fetch(`${base}/?${target("/hello")}`, { headers: { traceparent: parent.header } });
    expect(res.status).toBe(201);
    expect(res.headers.get("x-upstream-status")).toBe("201");
    expect(await res.text()).toBe("hello from upstream");
    expect(received).toHaveLength(1);
    const sent = String(received[0]!.traceparent);
    expect(sent).toMatch(new RegExp(`^00-${parent.traceId}-[0-9a-f]{16}-01$`));
    const spans = await eventually(async () => {
      await tracing.flush();
      const found = receiver.trace(parent.traceId);
      expect(found.map((s) => s.name)).toContain("call wascc:http_client Request");
      expect(found.map((s) => s.name)).toContain("GET");
      return found;
    });
    const hostCall = only(spans, "call wascc:http_client Request");
    // The server span is "GET" too: the client one is the host call's child, of kind client (3).
    const client = spans.find((s) => s.name === "GET" && s.kind === 3)!;
    expect(client).toMatchObject({
      parentSpanId: hostCall.spanId,
      attributes: { "http.request.method": "GET", "server.port": upstreamPort, "http.response.status_code": 201, "url.path": "/hello" },
    });
    // The upstream saw the client span as its parent.
    expect(sent.split("-")[2]).toBe(client.spanId);
  });

  it("a refusal by the binding reaches the caller as the actor's 502 with the catalog code", async () => {
    const { base } = await fetcher(CLIENT_AND_SERVER);
    const res = await fetch(`${base}/?url=${encodeURIComponent("http://127.0.0.1:1/elsewhere")}`);
    expect(res.status).toBe(502);
    expect(await res.text()).toContain("WACTOR_ERR_HTTP_HOST_NOT_ALLOWED");
    expect(received).toHaveLength(0);
  });

  it("without the wascc:http_client claim every call is denied and counted; the target receives nothing", async () => {
    const { key, base } = await fetcher(["wascc:http_server"]);
    await expect(host.bind(key, "wascc:http_client", "default", { ALLOWED_HOSTS: "*" })).rejects.toMatchObject({ code: "WACTOR_ERR_PERMISSION_DENIED" });
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${base}/?${target("/hello")}`);
      expect(res.status).toBe(502);
      expect(await res.text()).toContain("did not claim wascc:http_client");
    }
    expect(received).toHaveLength(0);
    await eventually(() => expect(host.authorizer.deniedCounts()).toContainEqual({ actorKey: key, capabilityId: "wascc:http_client", count: 3 }));
  });

  it("claims are checked at each call: a live update that drops the claim denies the next call", async () => {
    const { key, base, subject } = await fetcher(CLIENT_AND_SERVER);
    expect((await fetch(`${base}/?${target("/hello")}`)).status).toBe(201);
    expect(received).toHaveLength(1);
    const { bytes } = await signModule(unsignedBytes("fetcher"), { issuer: account, subject, caps: ["wascc:http_server"], name: "fetcher-test", rev: 2 });
    await host.replaceActor(key, bytes);
    const res = await fetch(`${base}/?${target("/hello")}`);
    expect(res.status).toBe(502);
    expect(await res.text()).toContain("did not claim wascc:http_client");
    expect(received).toHaveLength(1);
    await eventually(() => expect(host.authorizer.deniedCounts()).toContainEqual({ actorKey: key, capabilityId: "wascc:http_client", count: 1 }));
  });
});
