/**
 * End to end through real providers and real servers: HTTP -> actor -> Redis / NATS.
 * No mocks: redis-server and nats-server run on free loopback ports.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { connect, StringCodec, type NatsConnection } from "nats";
import { pino } from "pino";
import { createBuiltinProvider } from "../capabilities/mod.js";
import { Host } from "../src/host/host.js";
import { actor } from "./helpers/actors.js";
import { freePort, startNats, startRedis, type ServerHandle } from "./helpers/servers.js";

const sc = StringCodec();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("end to end with real Redis and NATS", () => {
  let redis: ServerHandle;
  let nats: ServerHandle;
  let nc: NatsConnection;
  let redisClient: Redis;
  const host = new Host({ logger: pino({ level: "silent" }), actorDefaults: { instances: 2 } });
  const ports: Record<string, number> = {};

  beforeAll(async () => {
    [redis, nats] = await Promise.all([startRedis(), startNats()]);
    nc = await connect({ servers: nats.url });
    redisClient = new Redis(redis.url);
    for (const cap of ["wascc:http_server", "wascc:keyvalue", "wascc:messaging", "wascc:logging"]) await host.addProvider(createBuiltinProvider(cap));
    for (const name of ["echo", "kvcounter", "multibinding", "subscriber"]) await host.startActor(actor(name).signedPath);
    for (const name of ["echo", "echo2", "kvcounter", "multibinding"]) ports[name] = await freePort();
    const key = (name: string) => actor(name).publicKey;
    await host.bind(key("echo"), "wascc:http_server", "default", { PORT: String(ports.echo) });
    await host.bind(key("echo"), "wascc:http_server", "second", { PORT: String(ports.echo2) });
    await host.bind(key("kvcounter"), "wascc:http_server", "default", { PORT: String(ports.kvcounter) });
    await host.bind(key("kvcounter"), "wascc:keyvalue", "default", { URL: redis.url, KEY_PREFIX: "" });
    await host.bind(key("multibinding"), "wascc:http_server", "default", { PORT: String(ports.multibinding) });
    await host.bind(key("multibinding"), "wascc:keyvalue", "source1", { URL: redis.url, KEY_PREFIX: "one" });
    await host.bind(key("multibinding"), "wascc:keyvalue", "source2", {});
    await host.bind(key("subscriber"), "wascc:messaging", "default", { URL: nats.url, SUBSCRIPTION: "demo.>" });
    await host.bind(key("subscriber"), "wascc:logging", "default", {});
    await host.bind(key("subscriber"), "wascc:keyvalue", "default", { URL: redis.url, KEY_PREFIX: "sub:" });
  });

  afterAll(async () => {
    await host.shutdown();
    await nc?.close();
    redisClient?.disconnect();
    await Promise.all([redis?.stop(), nats?.stop()]);
  });

  it("serves one actor on two ports", async () => {
    for (const port of [ports.echo, ports.echo2]) {
      const res = await fetch(`http://127.0.0.1:${port}/two?p=${port}`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ path: "/two", query_string: `p=${port}` });
    }
  });

  it("counts over HTTP in Redis, as the waSCC kvcounter does (key ':path')", async () => {
    const bodies = [];
    for (let i = 0; i < 3; i++) bodies.push(await (await fetch(`http://127.0.0.1:${ports.kvcounter}/e2e/count`)).json());
    expect(bodies).toEqual([{ counter: 1 }, { counter: 2 }, { counter: 3 }]);
    expect(await redisClient.get(":e2e:count")).toBe("3");
  });

  it("keeps named bindings apart: Redis under 'source1', the embedded store under 'source2'", async () => {
    const first = await (await fetch(`http://127.0.0.1:${ports.multibinding}/m`)).json();
    const second = await (await fetch(`http://127.0.0.1:${ports.multibinding}/m`)).json();
    expect([first, second]).toEqual([
      { source1: 1, source2: 10 },
      { source1: 2, source2: 20 },
    ]);
    expect(await redisClient.get("one:m")).toBe("2");
  });

  it("delivers a published message to the subscriber actor, which stores it", async () => {
    nc.publish("demo.greeting", sc.encode("hello"));
    await nc.flush();
    let stored: string | null = null;
    for (let i = 0; i < 100 && stored === null; i++) {
      stored = await redisClient.get("sub:last:demo.greeting");
      if (stored === null) await sleep(50);
    }
    expect(stored).toBe("hello");
  });

  it("answers a NATS request through the subscriber actor (reply via replyTo)", async () => {
    const reply = await nc.request("demo.ask", sc.encode("ping"), { timeout: 5000 });
    expect(sc.decode(reply.data)).toBe("reply:ping");
  });

  it("fails HTTP calls cleanly while Redis is down and recovers by itself", async () => {
    await redis.stop();
    try {
      const res = await fetch(`http://127.0.0.1:${ports.kvcounter}/down`);
      expect(res.status).toBe(500);
      expect(await res.text()).toContain("WACTOR_ERR_PROVIDER_UNAVAILABLE");
      // Everyone else keeps serving.
      expect((await fetch(`http://127.0.0.1:${ports.echo}/still`)).status).toBe(200);
    } finally {
      await redis.restart();
    }
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      status = (await fetch(`http://127.0.0.1:${ports.kvcounter}/up`)).status;
      if (status !== 200) await sleep(100);
    }
    expect(status).toBe(200);
  });
});
