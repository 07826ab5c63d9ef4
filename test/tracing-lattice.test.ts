/**
 * One trace across two lattice hosts: the HTTP request on A, the actor (and its key-value
 * provider over Redis) on B. The trace context travels in the invocation's header, in both
 * wire forms: the session envelope (under its MAC) and the per-invocation JWT (a claim).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeyPair } from "../src/claims/nkeys.js";
import { ControlClient } from "../src/lattice/mod.js";
import { startTracing, type Tracing } from "../src/tracing/mod.js";
import { actor } from "./helpers/actors.js";
import { eventually } from "./helpers/eventually.js";
import { joinMember, leaveMember, type Member } from "./helpers/lattice-member.js";
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from "./helpers/otlp-receiver.js";
import { freePort, startNats, startRedis, type ServerHandle } from "./helpers/servers.js";
import { chain, traceparent } from "./helpers/trace-ids.js";

const cluster = KeyPair.create("cluster");
const kvcounter = actor("kvcounter");

describe.each(["session", "jwt"] as const)("a trace across two lattice hosts (%s invocations)", (auth) => {
  let nats: ServerHandle;
  let redis: ServerHandle;
  let receiver: OtlpReceiver;
  let tracings: Tracing[] = [];
  let a: Member; // edge: HTTP
  let b: Member; // compute: the actor and key-value
  let client: ControlClient;
  let port: number;
  const lattice = `trace-${auth}`;

  beforeAll(async () => {
    [nats, redis, receiver] = await Promise.all([startNats({ jetstream: true }), startRedis(), startOtlpReceiver()]);
    const url = `${receiver.url}/v1/traces`;
    tracings = await Promise.all(["edge", "compute"].map((serviceName) => startTracing({ protocol: "http/json", url }, { serviceName })));
    a = await joinMember(nats.url, { lattice, cluster, capabilities: ["wascc:http_server"], tracing: tracings[0]!, invocationAuth: auth });
    b = await joinMember(nats.url, { lattice, cluster, capabilities: ["wascc:keyvalue"], tracing: tracings[1]!, invocationAuth: auth });
    client = await ControlClient.connect({ url: nats.url, lattice, timeoutMs: 30_000 });
    port = await freePort();
    await client.startActor({ path: kvcounter.signedPath }, { hostId: b.lattice.hostId, instances: 1 });
    expect((await client.putLink({ actor: kvcounter.publicKey, capabilityId: "wascc:http_server", values: { PORT: String(port) } })).stored).toBe(true);
    expect((await client.putLink({ actor: kvcounter.publicKey, capabilityId: "wascc:keyvalue", values: { URL: redis.url } })).stored).toBe(true);
    await eventually(() => expect(b.host.bindings.has(kvcounter.publicKey, "wascc:keyvalue", "default")).toBe(true));
  });

  afterAll(async () => {
    for (const m of [a, b]) await leaveMember(m);
    await client?.close();
    for (const t of tracings) await t.shutdown();
    await Promise.all([nats?.stop(), redis?.stop(), receiver?.close()]);
  });

  const spansOf = (traceId: string, count: number): Promise<ReceivedSpan[]> =>
    eventually(async () => {
      await Promise.all(tracings.map((t) => t.flush()));
      const spans = receiver.trace(traceId);
      expect(spans.length, spans.map((s) => s.name).join(", ")).toBeGreaterThanOrEqual(count);
      return spans;
    });

  it("HTTP on A -> lattice hop -> invocation on B -> key-value call -> Redis, one connected trace", async () => {
    // Once A knows B's session route, calls go by session; in jwt mode always by JWT.
    if (auth === "session")
      await eventually(async () => {
        const before = a.lattice.sentCounts().session;
        expect((await fetch(`http://127.0.0.1:${port}/warm`)).status).toBe(200);
        expect(a.lattice.sentCounts().session).toBe(before + 1);
      });
    const sentBefore = a.lattice.sentCounts()[auth];
    const parent = traceparent();
    const res = await fetch(`http://127.0.0.1:${port}/across`, { headers: { traceparent: parent.header } });
    expect(res.status).toBe(200);
    expect(a.lattice.sentCounts()[auth]).toBe(sentBefore + 1);
    const spans = await spansOf(parent.traceId, 6);
    const [server, send, serve, invoke, call, io] = chain(
      spans,
      parent.parentId,
      "GET",
      "lattice send HandleRequest",
      "lattice serve HandleRequest",
      "invoke HandleRequest",
      "call wascc:keyvalue Add",
      "redis Add",
    ) as [ReceivedSpan, ReceivedSpan, ReceivedSpan, ReceivedSpan, ReceivedSpan, ReceivedSpan];
    expect([server, send].map((s) => s.service)).toEqual(["edge", "edge"]);
    expect([serve, invoke, call, io].map((s) => s.service)).toEqual(["compute", "compute", "compute", "compute"]);
    expect(send).toMatchObject({ kind: 3, attributes: { "wactor.lattice.target": `wasmbus://${kvcounter.publicKey}`, "wactor.outcome": "ok" } });
    expect(serve).toMatchObject({ kind: 2, attributes: { "wactor.lattice.from_host": a.lattice.hostId } });
  });
});
