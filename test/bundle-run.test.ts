/**
 * BundleRunner: a signed bundle of real runnables served by a Host — functions as actors with
 * their claims, one shared cache, static files from the bundle, routes mounted on
 * wascc:http_server (404/405/OPTIONS from the router), schedules on timers — and stop()
 * undoing all of it.
 */
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BundleRunner } from "../src/bundle/run/bundle-runner.js";
import { Host } from "../src/host/host.js";
import { eventually } from "./helpers/eventually.js";
import { loadedBundle, xDirective } from "./helpers/bundles.js";

const FUNCTIONS = ["helloworld-rs", "modify-url", "log-it", "fields", "cache-set", "cache-get", "get-file", "set-field"];
const DIRECTIVE = xDirective(
  `handlers:
  - type: request
    method: GET
    resource: /chain
    steps:
      - fn: helloworld-rs
      - group:
          - { fn: modify-url, with: { url: helloworld-rs }, as: m }
          - { fn: log-it, as: l }
      - fn: fields
  - type: request
    method: GET
    resource: /isolated/:id
    response: g
    steps:
      - { fn: set-field, as: s1 }
      - group: [ { fn: set-field, as: s2 }, { fn: fields, as: g } ]
      - fn: fields
  - { type: request, method: POST, resource: "/set/:key", steps: [ { fn: cache-set } ] }
  - { type: request, method: GET, resource: "/get/:key", steps: [ { fn: cache-get } ] }
  - { type: request, method: GET, resource: "/file/*file", steps: [ { fn: get-file } ] }
schedules:
  - { name: tick, every: { seconds: 1 }, state: { seed: s }, steps: [ { fn: log-it } ] }
`,
  FUNCTIONS,
);

const lines: Array<Record<string, unknown>> = [];
const sink = new Writable({
  write: (chunk: Buffer, _enc, done) => (
    lines.push(
      ...chunk
        .toString()
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    ),
    done()
  ),
});
const host = new Host({ logger: pino({ level: "info" }, sink), actorDefaults: { instances: 2 } });
const outcomes: string[] = [];
let runner: BundleRunner;
let base: string;

beforeAll(async () => {
  const bundle = await loadedBundle({
    directive: DIRECTIVE,
    modules: Object.fromEntries(FUNCTIONS.map((f) => [f, f])),
    statics: { "main.md": "## hello", "css/main.css": "body{}" },
    caps: ["wascc:logging"],
    capsByFunction: { "cache-set": ["wascc:keyvalue"], "cache-get": ["wascc:keyvalue"] },
  });
  runner = new BundleRunner(host, bundle, {
    http: { port: 0 },
    schedules: { firstAfterMs: 50, onOutcome: (name, outcome) => outcomes.push(`${name}:${outcome}`) },
  });
  const info = await runner.start();
  base = `http://127.0.0.1:${info.address!.port}`;
});

afterAll(async () => {
  await runner.stop();
  await host.shutdown();
});

describe("BundleRunner", () => {
  it("starts every function as an actor with the claims it was signed with, and binds only what they claim", () => {
    const info = runner.info!;
    expect(info.functions.map((f) => f.fqfn)).toEqual(FUNCTIONS.map((f) => `com.suborbital.test#default::${f}@v0.0.1`));
    expect(
      host
        .listActors()
        .map((a) => a.name)
        .sort(),
    ).toEqual(FUNCTIONS.map((f) => `default::${f}`).sort());
    const setKey = runner.functionKey("com.suborbital.test#default::cache-set@v0.0.1")!;
    const helloKey = runner.functionKey("com.suborbital.test#default::helloworld-rs@v0.0.1")!;
    expect(
      host
        .listBindings()
        .filter((b) => b.actorKey === setKey)
        .map((b) => [b.capabilityId, b.values]),
    ).toEqual([
      ["wascc:keyvalue", { SHARED: "com.suborbital.test" }],
      ["wascc:logging", {}],
    ]);
    expect(
      host
        .listBindings()
        .filter((b) => b.actorKey === helloKey)
        .map((b) => b.capabilityId),
    ).toEqual(["wascc:logging"]);
    expect(info.schedules).toEqual(["tick"]);
  });

  it("serves a 3-step route over wascc:http_server: fn, a group of 2, fn, with the state flowing", async () => {
    const r = await fetch(`${base}/chain?state=m`, { headers: { "x-test": "yes" } });
    expect(r.status).toBe(200);
    const body = (await r.json()) as Record<string, unknown>;
    // `fields` saw the request and the state the group left: modify-url read helloworld-rs's output.
    expect(body).toMatchObject({ method: "GET", url: "/chain?state=m", state: "hello /suborbital", header: "yes" });
  });

  it("keeps what a function sets on its request (header, param, state, method) out of every other call of the request", async () => {
    // set-field writes a header, a param, a state key and the method in its own job; `fields`,
    // after it and beside it in a group, must see the request as it came (the calls share the
    // request's headers and params until a write copies them).
    const query = "?header=x-set-field&param=set-field&state=set-field";
    const r = await fetch(`${base}/isolated/7${query}`);
    expect(r.status).toBe(200);
    const clean = { method: "GET", header: "", param: "", state: "" };
    expect(await r.json()).toMatchObject(clean);
    const again = await fetch(`${base}/isolated/7?header=x-set-field&param=id&state=set-field`);
    expect(await again.json()).toMatchObject({ ...clean, param: "7" });
  });

  it("answers unknown paths, other methods and OPTIONS from the router", async () => {
    const wrongMethod = await fetch(`${base}/chain`, { method: "POST" });
    expect([wrongMethod.status, wrongMethod.headers.get("allow")]).toEqual([405, "GET, OPTIONS"]);
    const options = await fetch(`${base}/chain`, { method: "OPTIONS" });
    expect([options.status, options.headers.get("allow"), await options.text()]).toEqual([200, "GET, OPTIONS", ""]);
    const missing = await fetch(`${base}/nothing`);
    expect([missing.status, await missing.text()]).toEqual([404, "404 page not found\n"]);
  });

  it("gives the bundle's functions one cache: what one handler's function sets another's reads", async () => {
    expect((await fetch(`${base}/set/color`, { method: "POST", body: "teal" })).status).toBe(200);
    const got = await fetch(`${base}/get/color`);
    expect([got.status, await got.text()]).toEqual([200, "teal"]);
  });

  it("reads static files from the bundle, nested ones too", async () => {
    expect(await (await fetch(`${base}/file/main.md`)).text()).toBe("## hello");
    expect(await (await fetch(`${base}/file/css/main.css`)).text()).toBe("body{}");
    expect(await (await fetch(`${base}/file/nope`)).text()).toBe("failed");
  });

  it("runs schedules with method SCHED and logs their outcome", async () => {
    await eventually(() => expect(outcomes).toContain("tick:ok"), { timeoutMs: 5000 });
    expect(lines.some((l) => l.msg === "running on a schedule")).toBe(true);
    expect(lines.some((l) => l.msg === "schedule run finished" && l.schedule === "tick")).toBe(true);
  });

  it("stop() closes the listener, stops the timers and the functions, and removes the providers it added", async () => {
    const other = new Host({ logger: pino({ level: "silent" }) });
    const bundle = await loadedBundle({
      directive: DIRECTIVE,
      modules: Object.fromEntries(FUNCTIONS.map((f) => [f, f])),
      caps: ["wascc:logging", "wascc:keyvalue"],
    });
    const second = new BundleRunner(other, bundle, { http: { port: 0 }, runSchedules: false });
    const { address } = await second.start();
    expect((await fetch(`http://127.0.0.1:${address!.port}/get/x`)).status).toBe(200);
    expect(other.providerIds().sort()).toEqual(["wascc:http_server", "wascc:keyvalue", "wascc:logging"]);
    await second.stop();
    await expect(fetch(`http://127.0.0.1:${address!.port}/get/x`)).rejects.toThrow();
    expect(other.listActors()).toEqual([]);
    expect(other.listBindings()).toEqual([]);
    expect(other.providerIds()).toEqual([]);
    await other.shutdown();
  });
});
