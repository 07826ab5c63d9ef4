/**
 * A bundle's `type: stream` handlers on a real nats-server through wascc:messaging: a message
 * on the handler's subject runs its sequence with real runnables; the answer goes to the
 * reply subject (the error body for a RunErr). Without a NATS connection they are not served.
 */
import { connect, type NatsConnection } from "nats";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BundleRunner } from "../src/bundle/run/bundle-runner.js";
import { Host } from "../src/host/host.js";
import { loadedBundle, xDirective, type BundleSpec } from "./helpers/bundles.js";
import { startNats, type ServerHandle } from "./helpers/servers.js";

const SPEC: BundleSpec = {
  directive: xDirective(
    `handlers:
  - type: stream
    resource: greet.*
    steps: [ { fn: helloworld-rs, as: hello }, { fn: fields } ]
  - { type: stream, resource: fail.now, steps: [ { fn: return-err } ] }
  - { type: request, method: POST, resource: /hello, steps: [ { fn: helloworld-rs } ] }
`,
    ["helloworld-rs", "fields", "return-err"],
  ),
  modules: { "helloworld-rs": "helloworld-rs", fields: "fields", "return-err": "return-err" },
};

let nats: ServerHandle;
let nc: NatsConnection;
const host = new Host({ logger: pino({ level: "silent" }) });
let runner: BundleRunner;
const text = new TextDecoder();

beforeAll(async () => {
  nats = await startNats();
  nc = await connect({ servers: nats.url });
  runner = new BundleRunner(host, await loadedBundle(SPEC), { http: { port: 0 }, messaging: { URL: nats.url } });
  await runner.start();
}, 60_000);

afterAll(async () => {
  await runner.stop();
  await host.shutdown();
  await nc.close();
  await nats.stop();
});

describe("stream handlers", () => {
  it("a message on the subject runs the sequence; the answer goes to the reply subject", async () => {
    expect(runner.info!.streams).toEqual(["greet.*", "fail.now"]);
    const reply = await nc.request("greet.ann", new TextEncoder().encode("world"), { timeout: 5000 });
    const seen = JSON.parse(text.decode(reply.data)) as Record<string, unknown>;
    // `fields` saw method STREAM, the subject as URL, the message as its input, and the state.
    expect(seen).toMatchObject({ method: "STREAM", url: "greet.ann", input: "world", body: "world" });
  });

  it("a returned RunErr answers the error body", async () => {
    const reply = await nc.request("fail.now", new Uint8Array(), { timeout: 5000 });
    expect(JSON.parse(text.decode(reply.data))).toEqual({ status: 400, message: "job failed" });
  });

  it("stop() unsubscribes: nobody answers any more", async () => {
    const other = new Host({ logger: pino({ level: "silent" }) });
    const second = new BundleRunner(
      other,
      await loadedBundle({ ...SPEC, directive: SPEC.directive.replace("greet.*", "second.*").replace("fail.now", "second-fail") }),
      { http: false, messaging: { URL: nats.url } },
    );
    await second.start();
    expect(text.decode((await nc.request("second.x", new TextEncoder().encode("x"), { timeout: 5000 })).data)).toContain('"method":"STREAM"');
    await second.stop();
    await expect(nc.request("second.x", new Uint8Array(), { timeout: 1000 })).rejects.toThrow();
    await other.shutdown();
  });

  it("without a NATS connection the stream handlers are not served (the routes are)", async () => {
    const other = new Host({ logger: pino({ level: "silent" }) });
    const plain = new BundleRunner(other, await loadedBundle(SPEC), { http: { port: 0 } });
    const info = await plain.start();
    expect(info.streams).toEqual([]);
    expect(await (await fetch(`http://127.0.0.1:${info.address!.port}/hello`, { method: "POST", body: "x" })).text()).toBe("hello x");
    await plain.stop();
    await other.shutdown();
  });
});
