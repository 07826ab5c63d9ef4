/**
 * A runnable's imports as host calls under its claims (docs/runnables.md): the cache on the
 * embedded store and on a real redis-server, fetch_url and graphql_query through
 * wascc:http_client against a local server standing in for the internet, log_msg, static
 * files, db_exec, the FFI slot rules; and a runnable without claims that gets "capability is
 * not enabled" while nothing leaves the host and the denial is counted.
 */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify from "fastify";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeyValueProvider, LoggingProvider } from "../capabilities/mod.js";
import type { Denial } from "../src/host/authorizer.js";
import { Host } from "../src/host/host.js";
import { HttpClientStub } from "./helpers/http-client-stub.js";
import { capabilityRunnable, signedRunnable } from "./helpers/runnable-guests.js";
import { startRedis, type ServerHandle } from "./helpers/servers.js";

const enc = (text: string) => new TextEncoder().encode(text);
const dec = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ALL = ["wascc:keyvalue", "wascc:logging", "wascc:http_client"];

const lines: string[] = [];
const host = new Host({ logger: pino({ level: "info" }, { write: (line: string) => void lines.push(line) }) });
const http = new HttpClientStub();
const web = Fastify();
let base = "";
let redis: ServerHandle;
const denials: Denial[] = [];

/** The RunErr JSON a failed `run` carries, or the result text. */
async function run(key: string, input: string): Promise<string> {
  try {
    return dec(await host.invoke(key, "run", enc(input)));
  } catch (err) {
    return `error ${(err as { detail?: string }).detail}`;
  }
}
const failure = (code: number, message: string) => `error ${JSON.stringify({ code, message })}`;

async function startRunnable(caps: string[], options: { swift?: boolean; staticDir?: string; keyvalue?: Record<string, string> } = {}): Promise<string> {
  const { bytes } = await signedRunnable(capabilityRunnable({ swift: options.swift ?? false }), { caps });
  const key = (await host.startActor(bytes, { ...(options.staticDir !== undefined && { staticDir: options.staticDir }) })).key;
  for (const cap of caps) await host.bind(key, cap, "default", cap === "wascc:keyvalue" ? (options.keyvalue ?? {}) : {});
  return key;
}

let full = "";
let swift = "";
let onRedis = "";
let none = "";
let staticDir = "";

beforeAll(async () => {
  redis = await startRedis();
  web.get("/hello", async () => "world");
  web.post("/echo", async (request, reply) => reply.header("x-seen-type", request.headers["content-type"] ?? "").send(request.body));
  web.addContentTypeParser("application/octet-stream", { parseAs: "buffer" }, (_r, body, done) => done(null, body));
  web.get("/missing", async (_r, reply) => reply.code(404).send("nope"));
  web.post("/graphql/ok", async (request) => ({
    data: { zeta: 1, alpha: { y: 2, b: 3 }, query: (request.body as { query: string }).query, vars: (request.body as { variables: unknown }).variables },
  }));
  web.post("/graphql/errors", async () => ({ data: null, errors: [{ message: "no such field", path: "repository" }] }));
  web.post("/graphql/down", async (_r, reply) => reply.code(502).send("bad gateway"));
  base = await web.listen({ port: 0, host: "127.0.0.1" });
  host.events.on("invocation_denied", (d) => denials.push(d));
  await host.addProvider(new KeyValueProvider());
  await host.addProvider(new LoggingProvider());
  await host.addProvider(http);
  staticDir = mkdtempSync(join(tmpdir(), "wactor-static-"));
  mkdirSync(join(staticDir, "site"));
  writeFileSync(join(staticDir, "site", "index.html"), "<h1>hi</h1>");
  writeFileSync(join(tmpdir(), "wactor-outside.txt"), "secret");
  symlinkSync(join(tmpdir(), "wactor-outside.txt"), join(staticDir, "escape.txt"));
  full = await startRunnable(ALL, { staticDir });
  swift = await startRunnable(["wascc:keyvalue"], { swift: true });
  onRedis = await startRunnable(["wascc:keyvalue"], { keyvalue: { URL: redis.url, KEY_PREFIX: "runnable:" } });
  none = await startRunnable([]);
}, 240_000);
afterAll(async () => {
  await host.shutdown();
  await web.close();
  await redis?.stop();
});

describe("(h) cache_set / cache_get through wascc:keyvalue", () => {
  it.each([
    ["the embedded store", () => full],
    ["a real redis-server", () => onRedis],
    ["the embedded store, through the _swift twins", () => swift],
  ])("on %s: set, get, a missing key, and the TTL", async (_where, key) => {
    expect(await run(key(), "gk")).toBe(failure(400, "key not found"));
    expect(await run(key(), "svalue-1")).toBe("0");
    expect(await run(key(), "gk")).toBe("value-1");
    await sleep(2100); // ttl 1 s: Redis expires on whole seconds
    expect(await run(key(), "gk")).toBe(failure(400, "key not found"));
  });
});

describe("fetch_url and graphql_query through wascc:http_client", () => {
  it("GET answers the body; headers travel after '::'", async () => {
    expect(await run(full, `f${base}/hello::X-One:1::X-Two:2`)).toBe("world");
    expect(http.requests.at(-1)).toMatchObject({ method: "GET", url: `${base}/hello`, header: { "X-One": "1", "X-Two": "2" } });
  });

  it("a body without Content-Type is sent as application/octet-stream", async () => {
    expect(await run(full, `p${base}/echo`)).toBe("hi");
    expect(http.requests.at(-1)?.header).toEqual({ "Content-Type": "application/octet-stream" });
  });

  it("a status above 299 is an error '<status>: <body>'; a bad method or header segment is -2", async () => {
    expect(await run(full, `f${base}/missing`)).toBe(failure(400, "404: nope"));
    const before = http.requests.length;
    expect(await run(full, `M9${base}/hello`)).toBe(failure(-2, "unknown"));
    expect(await run(full, `M0${base}/hello::bad-segment`)).toBe(failure(-2, "unknown"));
    expect(await run(full, `M0${base}/hello::a:b:c`)).toBe(failure(-2, "unknown"));
    expect(http.requests.length).toBe(before);
  });

  it('graphql: POSTs {query, variables}, answers {"data":…} with sorted keys; errors and non-2xx as Reactr words them', async () => {
    expect(await run(full, `q${base}/graphql/ok`)).toBe('{"data":{"alpha":{"b":3,"y":2},"query":"{ x }","vars":{},"zeta":1}}');
    expect(http.requests.at(-1)?.header).toEqual({ "Content-Type": "application/json" });
    expect(await run(full, `q${base}/graphql/errors`)).toBe(failure(400, "graphQL error; path: repository, message: no such field"));
    expect(await run(full, `q${base}/graphql/down`)).toBe(failure(400, "non-200 HTTP response code; bad gateway"));
  });
});

describe("other imports", () => {
  it("log_msg writes through wascc:logging at the job's level", async () => {
    expect(await run(full, "lcareful now")).toBe("logged");
    const line = lines.find((l) => l.includes("careful now"));
    expect(line).toBeDefined();
    expect(JSON.parse(line!)).toMatchObject({ level: 40, actor: full });
  });

  it("get_static_file reads the runnable's own files, with Reactr's name rules and nothing outside", async () => {
    for (const name of ["site/index.html", "static/site/index.html", "/site/index.html", "./site/index.html", "static//./site/index.html"]) {
      expect(await run(full, `S${name}`)).toBe("<h1>hi</h1>");
    }
    expect(await run(full, "S../wactor-outside.txt")).toMatch(/^error .*not found/);
    expect(await run(full, "Sescape.txt")).toMatch(/^error .*not found/);
    expect(await run(full, "Ssite/nope.html")).toMatch(/^error .*not found/);
    expect(await run(none, "Ssite/index.html")).toBe(failure(400, "capability is not enabled"));
  });

  it("db_exec: no SQL capability yet", async () => {
    expect(await run(full, "dx")).toBe(failure(400, "capability is not enabled"));
  });

  it("the FFI slot: a second data call before the first is read gets -1; a wrong ident gets -1; plain mode has no request", async () => {
    expect(await run(full, "Pk")).toBe(failure(599, "unknown"));
    expect(await run(full, "ik")).toBe(failure(599, "unknown"));
    expect(await run(full, "R")).toBe(failure(599, "unknown"));
  });
});

describe("(i) a runnable without claims", () => {
  it("gets 'capability is not enabled' for fetch_url, cache_get and -2 for cache_set; nothing leaves the host; the denials are counted", async () => {
    const sent = http.requests.length;
    const before = denials.length;
    expect(await run(none, `f${base}/hello`)).toBe(failure(400, "capability is not enabled"));
    expect(await run(none, "gk")).toBe(failure(400, "capability is not enabled"));
    expect(await run(none, "sv")).toBe(failure(-2, "unknown"));
    expect(await run(none, "ldropped-line")).toBe("logged");
    expect(http.requests.length).toBe(sent);
    expect(lines.some((l) => l.includes("dropped-line"))).toBe(false);
    expect(denials.slice(before).map((d) => d.capabilityId)).toEqual(expect.arrayContaining(["wascc:http_client", "wascc:keyvalue", "wascc:logging"]));
    expect(denials.slice(before).every((d) => d.actorKey === none && d.reason === "not-claimed")).toBe(true);
    expect(host.authorizer.deniedCounts().find((c) => c.actorKey === none && c.capabilityId === "wascc:keyvalue")?.count).toBeGreaterThanOrEqual(2);
  });
});
