/**
 * The example runnables on a real Host, continued: the cache on a real redis-server (TTL
 * honoured there too), and the functions of the Atmo example project by their bundle names,
 * fed as an Atmo sequence would feed them (route params and state through the `Job`
 * operation, docs/runnables.md).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HttpClientProvider, HttpServerProvider, KeyValueProvider, LoggingProvider } from "../capabilities/mod.js";
import { decodeJobReply, encodeJobRequest, type JobReply, type JobRequest } from "../src/codec/mod.js";
import { Host } from "../src/host/host.js";
import { capturedLog, startExample, startLocalWeb, type LocalWeb } from "./helpers/runnable-world.js";
import { startRedis, type ServerHandle } from "./helpers/servers.js";

const enc = (text: string) => new TextEncoder().encode(text);
const dec = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const log = capturedLog();
const host = new Host({ logger: log.logger, actorDefaults: { deadlineMs: 5000 } });
let web: LocalWeb;
let redis: ServerHandle;
let client: Redis;
const keys: Record<string, string> = {};
const urls: Record<string, string> = {};

async function job(name: string, request: Partial<JobRequest>): Promise<JobReply> {
  const full: JobRequest = { method: "POST", url: "/", requestId: "r-1", body: new Uint8Array(0), headers: {}, params: {}, state: {}, ...request };
  return decodeJobReply(await host.invoke(keys[name]!, "Job", encodeJobRequest(full)));
}
const output = (reply: JobReply): string => ("output" in reply ? dec(reply.output) : `error ${JSON.stringify(reply.error)}`);

beforeAll(async () => {
  [web, redis] = await Promise.all([startLocalWeb(), startRedis()]);
  client = new Redis(redis.url);
  await host.addProvider(new HttpServerProvider());
  await host.addProvider(new HttpClientProvider());
  await host.addProvider(new KeyValueProvider());
  await host.addProvider(new LoggingProvider());
  const onRedis = { "wascc:keyvalue": { URL: redis.url, KEY_PREFIX: "atmo:" } };
  const logging = { "wascc:logging": {} };
  const staticDir = mkdtempSync(join(tmpdir(), "wactor-atmo-static-"));
  writeFileSync(join(staticDir, "index.md"), "# static page");
  const plan: Record<string, [Record<string, Record<string, string>>, { staticDir?: string }?]> = {
    cache: [onRedis],
    "cache-set": [{ ...onRedis, ...logging }],
    "cache-get": [{ ...onRedis, ...logging }],
    "helloworld-rs": [{}],
    "modify-url": [{}],
    "return-err": [{}],
    "set-array": [{}],
    "run-each": [{}],
    "get-file": [{}, { staticDir }],
    "log-it": [logging],
    "fetch-test": [{ ...logging, "wascc:http_client": { ALLOWED_HOSTS: web.origin } }],
  };
  for (const [name, [bindings, options]] of Object.entries(plan)) {
    const started = await startExample(host, name, bindings, options);
    keys[name] = started.key;
    urls[name] = started.url;
  }
}, 240_000);
afterAll(async () => {
  client?.disconnect();
  await host.shutdown();
  await web?.app.close();
  await redis?.stop();
});

describe("the cache on a real redis-server", () => {
  it("set with a TTL: Redis holds the key with that TTL under the binding's prefix, then it vanishes", async () => {
    const res = await fetch(`${urls.cache}/?key=session&value=abc&ttl=1`, { method: "POST", body: "" });
    expect(await res.text()).toBe("abc");
    expect(await client.get("atmo:session")).toBe("abc");
    expect(await client.pttl("atmo:session")).toBeGreaterThan(0);
    await sleep(2100); // Redis expires on whole seconds
    expect(await client.exists("atmo:session")).toBe(0);
    expect(output(await job("cache-get", { params: { key: "session" } }))).toBe("");
  });

  it("Atmo's cache-set and cache-get: the route param names the key, no expiry", async () => {
    expect(output(await job("cache-set", { params: { key: "greeting" }, body: enc("hi from atmo") }))).toBe("");
    expect(await client.get("atmo:greeting")).toBe("hi from atmo");
    expect(await client.pttl("atmo:greeting")).toBe(-1);
    expect(output(await job("cache-get", { params: { key: "greeting" } }))).toBe("hi from atmo");
    expect(log.lines.some((l) => l.msg === "setting cache value greeting" && l.level === 30)).toBe(true);
  });
});

describe("the Atmo example project's functions", () => {
  it("helloworld-rs, modify-url and set-array over HTTP", async () => {
    expect(await (await fetch(`${urls["helloworld-rs"]}/`, { method: "POST", body: "atmo" })).text()).toBe("hello atmo");
    expect(await (await fetch(`${urls["modify-url"]}/`, { method: "POST", body: "https://example.com" })).text()).toBe("https://example.com/suborbital");
    const array = await fetch(`${urls["set-array"]}/`, { method: "POST", body: "[1,2,3]" });
    expect(array.headers.get("content-type")).toBe("application/json");
    expect(await array.json()).toEqual([1, 2, 3]);
  });

  it("modify-url reads state when its input is empty; run-each maps a forEach element", async () => {
    expect(output(await job("modify-url", { state: { url: enc("https://state.example") } }))).toBe("https://state.example/suborbital");
    expect(output(await job("run-each", { state: { __elem: enc('{"name":"Ann","age":3}') } }))).toBe('{"name":"Hello Ann"}');
    expect(output(await job("run-each", { state: { __elem: enc("[]") } }))).toBe('error {"code":500,"message":"failed to from_slice"}');
  });

  it("return-err: 400 'job failed', over HTTP and as a Job reply", async () => {
    const res = await fetch(`${urls["return-err"]}/`, { method: "POST", body: "" });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ status: 400, message: "job failed" });
    expect(await job("return-err", {})).toEqual({ error: { code: 400, message: "job failed" } });
  });

  it("get-file reads the runnable's static directory; a missing file answers 'failed'", async () => {
    expect(output(await job("get-file", { params: { file: "index.md" } }))).toBe("# static page");
    expect(output(await job("get-file", { state: { file: enc("static/index.md") } }))).toBe("# static page");
    expect(output(await job("get-file", { params: { file: "../etc/passwd" } }))).toBe("failed");
  });

  it("log-it logs its input at info, and once more on a schedule", async () => {
    expect(output(await job("log-it", { body: enc("tick"), method: "SCHED" }))).toBe("hello tick");
    const mine = log.lines.filter((l) => l.msg === "tick" || l.msg === "running on a schedule");
    expect(mine.map((l) => [l.msg, l.level])).toEqual([
      ["tick", 30],
      ["running on a schedule", 30],
    ]);
  });

  it("fetch-test logs state 'logme' and GETs state 'url' from the local server", async () => {
    const before = web.seen.length;
    expect(output(await job("fetch-test", { state: { url: enc(`${web.base}/hello`), logme: enc("fetching now") } }))).toBe("world");
    expect(web.seen.slice(before).map((s) => `${s.method} ${s.url}`)).toEqual(["GET /hello"]);
    expect(log.lines.some((l) => l.msg === "fetching now")).toBe(true);
  });
});
