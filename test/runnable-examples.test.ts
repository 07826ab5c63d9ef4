/**
 * The example runnables (actors/runnables: AssemblyScript on our guest library, and the WAT
 * modules in the WASI shape of Rust, TinyGo, Grain and Swift builds), signed by the build, on
 * a real Host with the real providers: wascc:http_server, wascc:http_client (ALLOWED_HOSTS =
 * a local fastify server), wascc:logging into a captured pino log, wascc:keyvalue on the
 * embedded store. Each answers as docs/runnables.md says. The cache on Redis, and the Atmo
 * example functions, are in runnable-examples-atmo.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HttpClientProvider, HttpServerProvider, KeyValueProvider, LoggingProvider } from "../capabilities/mod.js";
import { decodeJobReply, encodeJobRequest, type JobRequest } from "../src/codec/mod.js";
import { Host } from "../src/host/host.js";
import { runnable } from "./helpers/runnables.js";
import { capturedLog, startExample, startLocalWeb, type LocalWeb } from "./helpers/runnable-world.js";

const enc = (text: string) => new TextEncoder().encode(text);
const dec = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const log = capturedLog();
const host = new Host({ logger: log.logger, actorDefaults: { deadlineMs: 5000 } });
let web: LocalWeb;
const keys: Record<string, string> = {};
const urls: Record<string, string> = {};

/** `run` with the input; a failure as its catalog code and detail. */
async function run(name: string, input: string): Promise<string> {
  try {
    return dec(await host.invoke(keys[name]!, "run", enc(input)));
  } catch (err) {
    const e = err as { code?: string; detail?: string; message: string };
    return `${e.code} ${e.detail ?? e.message}`;
  }
}

async function job(name: string, request: Partial<JobRequest>): Promise<ReturnType<typeof decodeJobReply>> {
  const full: JobRequest = { method: "POST", url: "/", requestId: "r-1", body: new Uint8Array(0), headers: {}, params: {}, state: {}, ...request };
  return decodeJobReply(await host.invoke(keys[name]!, "Job", encodeJobRequest(full)));
}

beforeAll(async () => {
  web = await startLocalWeb();
  await host.addProvider(new HttpServerProvider());
  await host.addProvider(new HttpClientProvider());
  await host.addProvider(new KeyValueProvider());
  await host.addProvider(new LoggingProvider());
  const client = { "wascc:http_client": { ALLOWED_HOSTS: web.origin } };
  const embeddedKv = { "wascc:keyvalue": { SHARED: "examples" } };
  const logging = { "wascc:logging": {} };
  const plan: Record<string, Record<string, Record<string, string>>> = {
    echo: {},
    fields: {},
    "set-field": {},
    headers: {},
    fail: {},
    abort: {},
    "no-result": {},
    "wasi-hello": {},
    "wasi-hello-swift": {},
    "legacy-init": {},
    cache: embeddedKv,
    "cache-get": { ...embeddedKv, ...logging },
    fetch: client,
    graphql: client,
    logger: logging,
  };
  for (const [name, bindings] of Object.entries(plan)) {
    const started = await startExample(host, name, bindings);
    keys[name] = started.key;
    urls[name] = started.url;
  }
}, 240_000);
afterAll(async () => {
  await host.shutdown();
  await web?.app.close();
});

describe("echo", () => {
  it("answers its input, by `run` and over HTTP", async () => {
    expect(await run("echo", "hello, runnable")).toBe("hello, runnable");
    expect(await run("echo", "")).toBe("");
    const res = await fetch(`${urls.echo}/any/path`, { method: "POST", body: "over http" });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("over http");
  });
});

describe("the request a job serves", () => {
  it("every field type from an HTTP request: method, url with query, id, headers, body fields; params and state empty", async () => {
    const res = await fetch(`${urls.fields}/users/7?message=hi&message=second&header=x-test`, {
      method: "PUT",
      headers: { "X-Test": "yes" },
      body: '{"username":"ann","age":3}',
    });
    expect(res.status).toBe(200);
    const fields = await res.json();
    expect(fields).toMatchObject({
      input: '{"username":"ann","age":3}',
      method: "PUT",
      url: "/users/7?message=hi&message=second&header=x-test",
      body: '{"username":"ann","age":3}',
      bodyField: "ann",
      header: "yes", // sent as X-Test, read lower-cased
      param: "",
      state: "",
      query: "hi", // the first value
    });
    expect(fields.id).toMatch(UUID);
    const again = await (await fetch(`${urls.fields}/`, { method: "POST", body: "{}" })).json();
    expect(again.id).toMatch(UUID);
    expect(again.id).not.toBe(fields.id); // a fresh id per request
  });

  it("a body that is not a JSON object has no body fields; a run job has no request at all", async () => {
    expect(await (await fetch(`${urls.fields}/`, { method: "POST", body: "plain" })).json()).toMatchObject({ bodyField: null, body: "plain" });
    expect(JSON.parse(await run("fields", "x"))).toMatchObject({
      input: "x",
      method: null,
      url: null,
      id: null,
      header: null,
      param: null,
      state: null,
      query: null,
    });
  });

  it("a Job's params and state are read like the HTTP fields", async () => {
    const reply = await job("fields", {
      url: "/j?param=route&state=s",
      params: { route: "p-value" },
      state: { s: enc("state-value") },
      headers: { "X-Test": "canonical" },
    });
    // Header names are matched without case, as over HTTP: a Job may carry them canonical.
    expect("output" in reply && JSON.parse(dec(reply.output))).toMatchObject({
      param: "p-value",
      state: "state-value",
      url: "/j?param=route&state=s",
      header: "canonical",
    });
  });

  it("request_set_field writes header, state, param, method and a body field, read back; query and unknown meta keys are refused", async () => {
    const res = await fetch(`${urls["set-field"]}/`, { method: "POST", body: '{"a":1}' });
    expect(await res.json()).toEqual({
      header: "header-value",
      state: "state-value",
      param: "param-value",
      method: "PATCH",
      bodyField: "body-value",
      queryError: "invalid field type",
      metaError: "key not found",
    });
    // not a JSON body: nothing to set a field in
    expect(await (await fetch(`${urls["set-field"]}/`, { method: "POST", body: "text" })).json()).toMatchObject({ bodyField: null, method: "PATCH" });
  });

  it("resp_set_header sets response headers (the last write wins); the first outcome reported counts", async () => {
    const res = await fetch(`${urls.headers}/`, { method: "POST", body: "" });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-runnable")).toBe("headers");
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(await res.json()).toEqual({ ok: true });
  });
});

describe("errors and aborts", () => {
  it("return_error over HTTP: the code is the status, the body {status, message}; outside 200–599 the status is 500", async () => {
    const teapot = await fetch(`${urls.fail}/`, { method: "POST", body: "418 short and stout" });
    expect(teapot.status).toBe(418);
    expect(teapot.headers.get("content-type")).toContain("application/json");
    expect(await teapot.json()).toEqual({ status: 418, message: "short and stout" });
    const odd = await fetch(`${urls.fail}/`, { method: "POST", body: "700 off the scale" });
    expect(odd.status).toBe(500);
    expect(await odd.json()).toEqual({ status: 500, message: "off the scale" });
  });

  it("return_error by `run` is WACTOR_ERR_RUNNABLE_ERROR with the RunErr as detail; a Job gets it as a reply", async () => {
    expect(await run("fail", "403 nope")).toBe('WACTOR_ERR_RUNNABLE_ERROR {"code":403,"message":"nope"}');
    expect(await job("fail", { body: enc("409 conflict") })).toEqual({ error: { code: 409, message: "conflict" } });
  });

  it("abort: RunErr -1 naming the message, file, line and column; logged; the next job runs on a fresh instance", async () => {
    const expected = "runnable abort: runnable gave up; file: actors/runnables/abort/index.ts, line: 7, col: 30";
    expect(await run("abort", "x")).toBe(`WACTOR_ERR_RUNNABLE_ERROR ${JSON.stringify({ code: -1, message: expected })}`);
    expect(log.lines.some((l) => JSON.stringify(l).includes(expected))).toBe(true);
    const res = await fetch(`${urls.abort}/`, { method: "POST", body: "y" });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ status: 500, message: expected });
  });
});

describe("capabilities through the real providers", () => {
  it("cache set/get with a TTL on the embedded store: the key vanishes after it", async () => {
    const res = await fetch(`${urls.cache}/?key=ttl-key&value=v1&ttl=1`, { method: "POST", body: "" });
    expect(await res.text()).toBe("v1");
    const read = async () => job("cache-get", { params: { key: "ttl-key" } });
    expect(await read()).toMatchObject({ output: enc("v1") });
    await sleep(1300);
    expect(await read()).toMatchObject({ output: new Uint8Array(0) });
    // no TTL: still there later
    expect(await (await fetch(`${urls.cache}/?key=kept`, { method: "POST", body: "body value" })).text()).toBe("body value");
    await sleep(1300);
    expect(await read()).toMatchObject({ output: new Uint8Array(0) });
    expect(await job("cache-get", { params: { key: "kept" } })).toMatchObject({ output: enc("body value") });
  });

  it("fetch_url GET and POST with headers reach the local server as sent", async () => {
    const before = web.seen.length;
    const answer = JSON.parse(await run("fetch", `${web.base}/target?x=1`));
    expect(answer).toEqual({ get: "GET /target?x=1 ", post: "POST /target?x=1 posted" });
    const [get, post] = web.seen.slice(before);
    expect(get).toMatchObject({ method: "GET", url: "/target?x=1", headers: { "x-runnable": "fetch" } });
    expect(post).toMatchObject({ method: "POST", url: "/target?x=1", body: "posted", headers: { "x-runnable": "fetch", "content-type": "text/plain" } });
  });

  it("fetch_url: a refused host is the provider's error, as RunErr 500", async () => {
    const before = web.seen.length;
    const refused = await run("fetch", "http://127.0.0.2:9/x");
    expect(refused).toMatch(/^WACTOR_ERR_RUNNABLE_ERROR \{"code":500,"message":".*WACTOR_ERR_HTTP_HOST_NOT_ALLOWED/);
    expect(web.seen.length).toBe(before);
  });

  it('graphql_query POSTs {query, variables} to the local server and answers {"data":…}', async () => {
    const before = web.seen.length;
    expect(JSON.parse(await run("graphql", `${web.base}/graphql\n{ hello }`))).toEqual({ data: { hello: "world", query: "{ hello }", variables: {} } });
    expect(web.seen.slice(before)).toEqual([
      expect.objectContaining({ method: "POST", url: "/graphql", headers: expect.objectContaining({ "content-type": "application/json" }) }),
    ]);
    expect(JSON.parse(web.seen.at(-1)!.body)).toEqual({ query: "{ hello }", variables: {} });
  });

  it("log_msg at every level arrives in the host's log at the matching pino level", async () => {
    expect(await run("logger", "lvl-check")).toBe("logged");
    const levels = Object.fromEntries(log.lines.filter((l) => typeof l.msg === "string" && l.msg.endsWith(" lvl-check")).map((l) => [l.msg, l.level]));
    expect(levels).toEqual({ "error lvl-check": 50, "warn lvl-check": 40, "info lvl-check": 30, "debug lvl-check": 20 });
  });
});

describe("WAT modules in the WASI shape", () => {
  it("wasi-hello: _start runs once per instance (its stdout line reaches the log), then jobs answer", async () => {
    expect(await run("wasi-hello", "wasm")).toBe("hello wasm");
    expect(await (await fetch(`${urls["wasi-hello"]}/`, { method: "POST", body: "http" })).text()).toBe("hello http");
    expect(log.lines.some((l) => JSON.stringify(l).includes("wasi-hello started"))).toBe(true);
  });

  it("wasi-hello-swift (only the _swift imports) and legacy-init (an exported init) answer after their initializer", async () => {
    expect(await run("wasi-hello-swift", "swift")).toBe("hello swift");
    expect(await run("legacy-init", "init")).toBe("hello init");
  });

  it("no-result: run_e returns without reporting: an empty result, not an error", async () => {
    expect(await run("no-result", "anything")).toBe("");
    const res = await fetch(`${urls["no-result"]}/`, { method: "POST", body: "x" });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("");
  });

  it("start-trap: a trap in _start stops the runnable from starting, naming _start", async () => {
    const started = host.startActor(runnable("start-trap").signedPath).then(async ({ key }) => host.invoke(key, "run", enc("x")));
    await expect(started).rejects.toMatchObject({ code: "WACTOR_ERR_MODULE_COMPILE", message: expect.stringContaining("_start") });
  });
});
