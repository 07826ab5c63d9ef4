/**
 * Enforcement on the example runnables with the real providers (docs/runnables.md,
 * docs/http-client.md): `fetch` and `cache` re-signed without the http_client or keyvalue
 * claim get the disabled-capability answer, the local server receives nothing, Redis stays
 * empty and the denials are counted (authorizer and the wactor_denied_total metric). And the
 * http_client binding rules as a runnable meets them: ALLOWED_HOSTS, the private-range rule
 * (a wildcard never grants a loopback address) and a redirect to a host not allowed.
 */
import { lookup } from "node:dns/promises";
import { Redis } from "ioredis";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HttpClientProvider, HttpServerProvider, KeyValueProvider } from "../capabilities/mod.js";
import type { Denial } from "../src/host/authorizer.js";
import { Host } from "../src/host/host.js";
import { HostMetrics } from "../src/host/metrics.js";
import { signedRunnable } from "./helpers/runnable-guests.js";
import { startExample, startLocalWeb, type LocalWeb } from "./helpers/runnable-world.js";
import { unsignedRunnable } from "./helpers/runnables.js";
import { startRedis, type ServerHandle } from "./helpers/servers.js";

const enc = (text: string) => new TextEncoder().encode(text);
const dec = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
/** Names that resolve to this machine, as a rebinding or internal DNS name would. */
const FAKE_DNS = new Set(["api.example.com", "internal.example.com"]);

const host = new Host({ logger: pino({ level: "silent" }), actorDefaults: { deadlineMs: 5000 } });
const metrics = new HostMetrics(host);
const denials: Denial[] = [];
let web: LocalWeb;
let redis: ServerHandle;
let client: Redis;

async function run(key: string, input: string): Promise<string> {
  try {
    return dec(await host.invoke(key, "run", enc(input)));
  } catch (err) {
    const e = err as { code?: string; detail?: string; message: string };
    return `${e.code} ${e.detail ?? e.message}`;
  }
}

/** The example runnable `name`, signed with `caps` under `as`. */
async function resigned(name: string, as: string, caps: string[]): Promise<string> {
  const { bytes } = await signedRunnable(unsignedRunnable(name), { caps, name: as });
  return (await host.startActor(bytes)).key;
}

async function deniedMetric(actor: string, capability: string): Promise<number> {
  const line = (await metrics.text()).split("\n").find((l) => l.startsWith(`wactor_denied_total{actor="${actor}",capability="${capability}"}`));
  return line ? Number(line.split(" ").at(-1)) : 0;
}

beforeAll(async () => {
  [web, redis] = await Promise.all([startLocalWeb(), startRedis()]);
  client = new Redis(redis.url);
  host.events.on("invocation_denied", (d) => denials.push(d));
  await host.addProvider(new HttpServerProvider());
  await host.addProvider(
    new HttpClientProvider({
      resolve: async (hostname) => (FAKE_DNS.has(hostname) ? [{ address: "127.0.0.1", family: 4 }] : lookup(hostname, { all: true })),
    }),
  );
  await host.addProvider(new KeyValueProvider());
}, 240_000);
afterAll(async () => {
  client?.disconnect();
  await host.shutdown();
  await web?.app.close();
  await redis?.stop();
});

describe("a runnable without the claim", () => {
  it("fetch without wascc:http_client: cannot be bound; fetch_url is 'capability is not enabled'; nothing is sent; the denial is counted", async () => {
    const key = await resigned("fetch", "fetch-unclaimed", ["wascc:http_server"]);
    await expect(host.bind(key, "wascc:http_client", "default", { ALLOWED_HOSTS: web.origin })).rejects.toMatchObject({ code: "WACTOR_ERR_PERMISSION_DENIED" });
    const before = web.seen.length;
    expect(await run(key, `${web.base}/must-not-arrive`)).toBe('WACTOR_ERR_RUNNABLE_ERROR {"code":500,"message":"capability is not enabled"}');
    expect(await run(key, `${web.base}/must-not-arrive`)).toBe('WACTOR_ERR_RUNNABLE_ERROR {"code":500,"message":"capability is not enabled"}');
    expect(web.seen.length).toBe(before);
    expect(denials.filter((d) => d.actorKey === key)).toEqual([
      expect.objectContaining({ capabilityId: "wascc:http_client", reason: "not-claimed", count: 1 }),
      expect.objectContaining({ capabilityId: "wascc:http_client", reason: "not-claimed", count: 1 }),
    ]);
    expect(host.authorizer.deniedCounts()).toContainEqual({ actorKey: key, capabilityId: "wascc:http_client", count: 2 });
    expect(await deniedMetric("fetch-unclaimed", "wascc:http_client")).toBe(2);
  });

  it("cache without wascc:keyvalue: cache_set fails (-2), Redis is untouched, the denial is counted", async () => {
    const key = await resigned("cache", "cache-unclaimed", ["wascc:http_server"]);
    await expect(host.bind(key, "wascc:keyvalue", "default", { URL: redis.url })).rejects.toMatchObject({ code: "WACTOR_ERR_PERMISSION_DENIED" });
    await host.bind(key, "wascc:http_server", "default", { PORT: "0" });
    const port = (host.provider("wascc:http_server") as HttpServerProvider).address(key, "default")!.port;
    const res = await fetch(`http://127.0.0.1:${port}/?key=stolen&value=v&ttl=60`, { method: "POST", body: "" });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ status: 500, message: "cache set failed (-2)" });
    expect(await client.dbsize()).toBe(0);
    expect(await client.keys("*")).toEqual([]);
    expect(denials.filter((d) => d.actorKey === key).map((d) => [d.capabilityId, d.reason])).toEqual([["wascc:keyvalue", "not-claimed"]]);
    expect(await deniedMetric("cache-unclaimed", "wascc:keyvalue")).toBe(1);
  });

  it("the same runnables with the claim and a binding do reach Redis and the local server (the test can fail)", async () => {
    const { url } = await startExample(host, "cache", { "wascc:keyvalue": { URL: redis.url } });
    expect(await (await fetch(`${url}/?key=allowed&value=v&ttl=60`, { method: "POST", body: "" })).text()).toBe("v");
    expect(await client.keys("*")).toEqual(["allowed"]);
    await client.flushdb();
    const { key } = await startExample(host, "fetch", { "wascc:http_client": { ALLOWED_HOSTS: web.origin } }, { serve: false });
    expect(JSON.parse(await run(key, `${web.base}/arrives`))).toEqual({ get: "GET /arrives ", post: "POST /arrives posted" });
  });

  it("claimed but not bound: the same answer, counted as not bound", async () => {
    const key = await resigned("fetch", "fetch-unbound", ["wascc:http_server", "wascc:http_client"]);
    const before = web.seen.length;
    expect(await run(key, `${web.base}/unbound`)).toBe('WACTOR_ERR_RUNNABLE_ERROR {"code":500,"message":"capability is not enabled"}');
    expect(web.seen.length).toBe(before);
    expect(denials.filter((d) => d.actorKey === key).map((d) => d.capabilityId)).toEqual(["wascc:http_client"]);
    expect(await deniedMetric("fetch-unbound", "wascc:http_client")).toBe(1);
  });
});

describe("the http_client binding's rules, met by a runnable", () => {
  /** A `fetch` runnable (its own identity) bound with ALLOWED_HOSTS. */
  async function fetcher(as: string, allowed: string): Promise<string> {
    const key = await resigned("fetch", as, ["wascc:http_server", "wascc:http_client"]);
    await host.bind(key, "wascc:http_client", "default", { ALLOWED_HOSTS: allowed });
    return key;
  }
  const refusedBefore = (reply: string, host: string) => {
    expect(reply).toMatch(/^WACTOR_ERR_RUNNABLE_ERROR \{"code":500,"message":"WACTOR_ERR_HTTP_HOST_NOT_ALLOWED: /);
    expect(reply).toContain(`'${host}`);
  };

  it("a host not in ALLOWED_HOSTS is refused before anything is sent, even the same server by another name", async () => {
    const key = await fetcher("fetch-listed", web.origin);
    const port = web.origin.split(":")[1];
    const before = web.seen.length;
    refusedBefore(await run(key, `http://localhost:${port}/by-name`), "localhost");
    refusedBefore(await run(key, `http://127.0.0.1:1/other-port`), "127.0.0.1:1");
    expect(web.seen.length).toBe(before);
  });

  it("the private-range rule: '*' and '*.example.com' never grant a loopback, private or metadata address", async () => {
    const key = await fetcher("fetch-wildcard", "*, *.example.com");
    const port = web.origin.split(":")[1];
    const before = web.seen.length;
    refusedBefore(await run(key, `${web.base}/loopback`), "127.0.0.1");
    refusedBefore(await run(key, `http://api.example.com:${port}/resolves-to-loopback`), "api.example.com");
    refusedBefore(await run(key, "http://169.254.169.254/latest/meta-data/"), "169.254.169.254");
    refusedBefore(await run(key, "http://10.1.2.3/"), "10.1.2.3");
    expect(web.seen.length).toBe(before);
    // listed exactly, the same name is reached
    const exact = await fetcher("fetch-exact", `api.example.com:${port}`);
    expect(JSON.parse(await run(exact, `http://api.example.com:${port}/exact`))).toMatchObject({ get: "GET /exact " });
  });

  it("a redirect to a host not allowed is refused: the redirecting server is reached, the target is not", async () => {
    const key = await fetcher("fetch-redirected", web.origin);
    const port = web.origin.split(":")[1];
    const before = web.seen.length;
    refusedBefore(await run(key, `${web.base}/redirect?to=${encodeURIComponent(`http://internal.example.com:${port}/secret`)}`), "internal.example.com");
    refusedBefore(await run(key, `${web.base}/redirect?to=${encodeURIComponent(`http://localhost:${port}/secret`)}`), "localhost");
    expect(web.seen.slice(before).map((s) => s.url.split("?")[0])).toEqual(["/redirect", "/redirect"]);
    // a redirect within the allowed host is followed
    expect(JSON.parse(await run(key, `${web.base}/redirect?to=${encodeURIComponent(`${web.base}/landed`)}`))).toMatchObject({ get: "GET /landed " });
  });
});
