/**
 * The spec's execution cases (E1–E14, B4) against REAL runnables on a real Host, served by a
 * BundleRunner over wascc:http_server: what fakes could not prove (state flowing through
 * real functions, groups, forEach order, onErr, responses and their headers, the step
 * timeout, one cache shared between steps and handlers, static files through get_static_file).
 * Where wactor follows the intent column (spec §5), the case says so.
 */
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BundleRunner } from "../src/bundle/run/bundle-runner.js";
import { Host } from "../src/host/host.js";
import { loadedBundle, xDirective } from "./helpers/bundles.js";

const FUNCTIONS = ["helloworld-rs", "return-err", "modify-url", "set-array", "run-each", "get-file", "cache-set", "cache-get", "fields", "fail", "log-it"];
const DIRECTIVE = xDirective(
  `handlers:
  - { type: request, method: POST, resource: /e1, steps: [ { fn: helloworld-rs } ] }
  - type: request
    method: POST
    resource: /e3
    steps: [ { fn: helloworld-rs, as: hello }, { fn: return-err, onErr: { any: continue } } ]
  - type: request
    method: POST
    resource: /e4-return
    steps: [ { fn: helloworld-rs, as: hello }, { fn: return-err, onErr: { any: return } } ]
  - { type: request, method: POST, resource: /e4-none, steps: [ { fn: helloworld-rs, as: hello }, { fn: return-err } ] }
  - { type: request, method: POST, resource: /e5, steps: [ { fn: helloworld-rs }, { fn: modify-url, with: { url: helloworld-rs } } ] }
  - type: request
    method: POST
    resource: /foreach
    steps: [ { fn: set-array }, { forEach: { in: set-array, fn: run-each, as: hello-people } } ]
  - type: request
    method: POST
    resource: /foreach-then
    steps: [ { fn: set-array }, { forEach: { in: set-array, fn: run-each, as: hello-people } }, { fn: fields } ]
  - { type: request, method: GET, resource: "/file/*file", steps: [ { fn: get-file } ] }
  - { type: request, method: POST, resource: "/set/:key", steps: [ { fn: cache-set } ] }
  - { type: request, method: GET, resource: "/get/:key", steps: [ { fn: cache-get } ] }
  - { type: request, method: POST, resource: "/both/:key", steps: [ { fn: cache-set }, { fn: cache-get } ] }
  - { type: request, method: POST, resource: /e10, steps: [ { fn: helloworld-rs, as: h } ] }
  - { type: request, method: POST, resource: /fail, steps: [ { fn: fail } ] }
  - type: request
    method: POST
    resource: /e14-not-array
    steps: [ { fn: set-array }, { forEach: { in: set-array, fn: run-each, as: x } } ]
  - type: request
    method: POST
    resource: /e14-not-object
    steps: [ { fn: set-array }, { forEach: { in: set-array, fn: helloworld-rs, as: x } } ]
  - type: request
    method: POST
    resource: /group-continue
    steps:
      - group:
          - { fn: return-err, onErr: { any: continue } }
          - { fn: helloworld-rs, as: h }
    response: return-err
  - type: request
    method: POST
    resource: /group-return
    steps:
      - group: [ { fn: return-err }, { fn: helloworld-rs, as: h } ]
    response: h
schedules:
  - name: e2
    every: { days: 1 }
    state: { file: main.md }
    steps:
      - group: [ { fn: helloworld-rs }, { fn: get-file, as: main.md } ]
  - { name: e12, every: { days: 1 }, steps: [ { fn: log-it } ] }
`,
  FUNCTIONS,
);

const decode = (bytes: Uint8Array | undefined): string => new TextDecoder().decode(bytes);
const host = new Host({ logger: pino({ level: "silent" }) });
let runner: BundleRunner;
let base: string;
const post = (path: string, body = ""): Promise<Response> => fetch(`${base}${path}`, { method: "POST", body });

beforeAll(async () => {
  const bundle = await loadedBundle({
    directive: DIRECTIVE,
    modules: Object.fromEntries(FUNCTIONS.map((f) => [f, f])),
    statics: { "main.md": "## hello", "css/main.css": "body{}" },
    caps: ["wascc:logging"],
    capsByFunction: { "cache-set": ["wascc:keyvalue"], "cache-get": ["wascc:keyvalue"] },
  });
  // A small forEach bound, so the input-order guarantee is exercised across batches.
  runner = new BundleRunner(host, bundle, { http: { port: 0 }, runSchedules: false, forEachConcurrency: 3 });
  base = `http://127.0.0.1:${(await runner.start()).address!.port}`;
}, 60_000);

afterAll(async () => {
  await runner.stop();
  await host.shutdown();
});

describe("execution conformance with real runnables (E1–E14)", () => {
  it("E1: a single fn gets the request body as input", async () => {
    const r = await post("/e1", "world");
    expect([r.status, await r.text(), r.headers.get("content-type")]).toEqual([200, "hello world", "application/octet-stream"]);
  });

  it("E2: a group's members start on the seed state; each result lands under its key", async () => {
    const outcome = await runner.app!.runSchedule("e2");
    expect(outcome.kind).toBe("ok");
    if (outcome.kind !== "ok") return;
    // A schedule's input is the (empty) body, under the final Reactr ABI.
    expect(decode(outcome.state.get("helloworld-rs"))).toBe("hello ");
    expect(decode(outcome.state.get("main.md"))).toBe("## hello");
  });

  it("E3: onErr continue stores the RunErr's JSON under the step's key and answers it with 200", async () => {
    const r = await post("/e3", "world");
    expect([r.status, await r.text()]).toEqual([200, '{"code":400,"message":"job failed"}']);
  });

  it("E4: onErr return, or no onErr, answers the RunErr's code with {status, message}", async () => {
    for (const path of ["/e4-return", "/e4-none"]) {
      const r = await post(path, "world");
      expect([r.status, r.headers.get("content-type"), await r.json()]).toEqual([400, "application/json", { status: 400, message: "job failed" }]);
    }
  });

  it("E5: `with` hands a step an earlier step's output under an alias", async () => {
    const r = await post("/e5");
    expect(await r.text()).toBe("hello /suborbital");
  });

  it("E6/E7: forEach runs the function per element; results in input order (intent, Q3), the element function's JSON, set-array's Content-Type", async () => {
    const names = Array.from({ length: 10 }, (_, i) => `p${i}`);
    const r = await post("/foreach", JSON.stringify(names.map((name) => ({ name }))));
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("application/json");
    expect(await r.json()).toEqual(names.map((name) => ({ name: `Hello ${name}` })));
  });

  it("E6: __elem is gone after the forEach (intent, Q3); the results are in the state for later steps", async () => {
    const people = [{ name: "Connor" }, { name: "Jimmy" }, { name: "Bob" }];
    const elem = (await (await post("/foreach-then?state=__elem", JSON.stringify(people))).json()) as { state: string };
    expect(elem.state).toBe("");
    const results = (await (await post("/foreach-then?state=hello-people", JSON.stringify(people))).json()) as { state: string };
    expect(JSON.parse(results.state)).toEqual([{ name: "Hello Connor" }, { name: "Hello Jimmy" }, { name: "Hello Bob" }]);
  });

  it("E8: static files from the bundle through get_static_file", async () => {
    const found = await fetch(`${base}/file/main.md`);
    expect([found.status, await found.text(), found.headers.get("content-type")]).toEqual([200, "## hello", "application/octet-stream"]);
    const missing = await fetch(`${base}/file/nope`);
    expect([missing.status, await missing.text()]).toEqual([200, "failed"]);
  });

  it("E9: one cache for the bundle: a handler sets, another reads; steps of one sequence share it too", async () => {
    const set = await post("/set/foo", "bar");
    expect([set.status, await set.text()]).toEqual([200, ""]);
    expect(await (await fetch(`${base}/get/foo`)).text()).toBe("bar");
    expect(await (await post("/both/baz", "qux")).text()).toBe("qux");
  });

  it("E10: a final fn with `as` and no response answers its output (intent, Q2)", async () => {
    expect(await (await post("/e10", "world")).text()).toBe("hello world");
  });

  it("E11: a RunErr code outside 200–599 answers 500", async () => {
    for (const body of ["700 out of range", "0 zero"]) {
      const r = await post("/fail", body);
      expect([r.status, await r.json()]).toEqual([500, { status: 500, message: body.slice(body.indexOf(" ") + 1) }]);
    }
  });

  it("E12: a schedule runs with method SCHED and an empty input; its result is only logged", async () => {
    const outcome = await runner.app!.runSchedule("e12");
    expect(outcome.kind).toBe("ok");
    if (outcome.kind === "ok") expect(decode(outcome.state.get("log-it"))).toBe("hello ");
  });

  it("E14: a forEach `in` that is not an array, or an element result that is not an object, fails with 500 and a catalog code", async () => {
    const notArray = await post("/e14-not-array", '"abc"');
    expect(notArray.status).toBe(500);
    expect(await notArray.json()).toMatchObject({ status: 500, code: expect.stringMatching(/^WACTOR_ERR_/) });
    const notObject = await post("/e14-not-object", '[{"name":"a"}]');
    expect(notObject.status).toBe(500);
    expect(await notObject.json()).toMatchObject({ status: 500, code: expect.stringMatching(/^WACTOR_ERR_/) });
  });

  it("a group member's own onErr applies (intent, Q1); without one, the member's RunErr returns", async () => {
    const cont = await post("/group-continue", "x");
    expect([cont.status, await cont.text()]).toEqual([200, '{"code":400,"message":"job failed"}']);
    const ret = await post("/group-return", "x");
    expect([ret.status, await ret.json()]).toEqual([400, { status: 400, message: "job failed" }]);
  });
});

describe("a step's time limit, with a function that never returns", () => {
  const slowHost = new Host({ logger: pino({ level: "silent" }) });
  let slow: BundleRunner;
  let slowBase: string;

  beforeAll(async () => {
    const bundle = await loadedBundle({
      directive: xDirective(
        `handlers:
  - { type: request, method: POST, resource: /slow, steps: [ { fn: helloworld-rs }, { fn: loop-forever } ] }
  - { type: request, method: POST, resource: /fast, steps: [ { fn: helloworld-rs } ] }
`,
        ["helloworld-rs", "loop-forever"],
      ),
      modules: { "helloworld-rs": "helloworld-rs", "loop-forever": "loop-forever" },
    });
    slow = new BundleRunner(slowHost, bundle, { http: { port: 0 }, stepTimeoutMs: 400 });
    slowBase = `http://127.0.0.1:${(await slow.start()).address!.port}`;
  }, 60_000);

  afterAll(async () => {
    await slow.stop();
    await slowHost.shutdown();
  });

  it("fails the request with WACTOR_ERR_STEP_TIMEOUT; the bundle keeps serving", async () => {
    const r = await fetch(`${slowBase}/slow`, { method: "POST", body: "x" });
    expect(r.status).toBe(500);
    expect(await r.json()).toMatchObject({ status: 500, code: "WACTOR_ERR_STEP_TIMEOUT" });
    expect(await (await fetch(`${slowBase}/fast`, { method: "POST", body: "again" })).text()).toBe("hello again");
  });
});

describe("headless mode (E13) and static names (B4) with real runnables", () => {
  const headlessHost = new Host({ logger: pino({ level: "silent" }) });
  let headless: BundleRunner;
  let headlessBase: string;
  const fn = (name: string): string => `${headlessBase}/com.suborbital.test/default/${name}/v0.0.1`;

  beforeAll(async () => {
    const bundle = await loadedBundle({
      directive: xDirective(
        `handlers:
  - { type: request, method: POST, resource: /hello, steps: [ { fn: helloworld-rs } ] }
`,
        ["helloworld-rs", "modify-url", "get-file"],
      ),
      modules: { "helloworld-rs": "helloworld-rs", "modify-url": "modify-url", "get-file": "get-file" },
      statics: { "main.md": "## hello", "css/main.css": "body{}" },
    });
    headless = new BundleRunner(headlessHost, bundle, { http: { port: 0 }, headless: true });
    headlessBase = `http://127.0.0.1:${(await headless.start()).address!.port}`;
  }, 60_000);

  afterAll(async () => {
    await headless.stop();
    await headlessHost.shutdown();
  });

  it("E13: every function at POST /<identifier>/<namespace>/<name>/<appVersion>, with X-Atmo-Requestid; the handlers are not mounted", async () => {
    const r = await fetch(fn("helloworld-rs"), { method: "POST", body: "x" });
    expect([r.status, await r.text()]).toEqual([200, "hello x"]);
    expect(r.headers.get("x-atmo-requestid")).toMatch(/^[0-9a-f-]{36}$/);
    expect((await fetch(`${headlessBase}/hello`, { method: "POST", body: "x" })).status).toBe(404);
  });

  it("E13: X-Atmo-State seeds the state", async () => {
    const r = await fetch(fn("modify-url"), { method: "POST", headers: { "X-Atmo-State": JSON.stringify({ url: "https://example.com" }) } });
    expect(await r.text()).toBe("https://example.com/suborbital");
  });

  it("B4: main.md, /main.md, static/main.md, ./main.md and css/main.css are found; ../x and unknown names are not", async () => {
    const read = async (file: string): Promise<string> =>
      (await fetch(fn("get-file"), { method: "POST", headers: { "X-Atmo-Params": JSON.stringify({ file }) } })).text();
    for (const name of ["main.md", "/main.md", "static/main.md", "./main.md"]) expect(await read(name)).toBe("## hello");
    expect(await read("css/main.css")).toBe("body{}");
    for (const name of ["../main.md", "../static/main.md", "nope.md"]) expect(await read(name)).toBe("failed");
  });
});
