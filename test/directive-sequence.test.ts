/**
 * The sequence engine and its HTTP face (conformance E1–E14) over in-process fake functions,
 * with wactor's intent choices: per-member group onErr/with (Q1), a final step's `as` is the
 * body (Q2), forEach results in input order and no leaked `__elem` (Q3), catalog codes and no
 * internal text in 500s (Q7).
 */
import { describe, expect, it } from "vitest";
import { DirectiveApp, type DirectiveAppOptions } from "../src/directive/app.js";
import { loadDirective } from "../src/directive/load.js";
import { runSequence } from "../src/directive/sequence.js";
import { WactorError } from "../src/errors.js";
import { fakeRunnables, xHeader, type FakeRunnables } from "./helpers/fake-runnables.js";

const text = (bytes: Uint8Array | undefined): string => new TextDecoder().decode(bytes ?? new Uint8Array());
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

function handlerYaml(method: string, resource: string, steps: string, response?: string): string {
  return `  - type: request\n    resource: ${resource}\n    method: ${method}\n    steps:\n${steps}${response ? `    response: ${response}\n` : ""}`;
}

function app(
  handlers: string,
  fakes: FakeRunnables = fakeRunnables(),
  options: DirectiveAppOptions = {},
  extra = "",
): { app: DirectiveApp; fakes: FakeRunnables } {
  const d = loadDirective(`${xHeader()}handlers:\n${handlers}${extra}`);
  return { app: new DirectiveApp(d, fakes, { newRequestId: () => "rid-1", ...options }), fakes };
}

async function request(
  a: DirectiveApp,
  method: string,
  url: string,
  body = "",
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const r = await a.handle({ method, url, headers, body: bytes(body) });
  return { status: r.status, headers: r.headers, body: text(r.body) };
}

function sequence(steps: string, body: string, state: Record<string, string> = {}, fakes = fakeRunnables(), response?: string) {
  const d = loadDirective(`${xHeader()}handlers:\n${handlerYaml("POST", "/x", steps, response)}`);
  const ctx = { method: "POST", url: "/x", requestId: "r", body: bytes(body), headers: {}, params: {} };
  return runSequence(d, d.handlers[0]!.steps, ctx, new Map(Object.entries(state).map(([k, v]) => [k, bytes(v)])), fakes);
}

function stateOf(outcome: Awaited<ReturnType<typeof sequence>>): Record<string, string> {
  if (outcome.kind !== "ok") throw new Error(`sequence ended ${outcome.kind}: ${JSON.stringify(outcome)}`);
  return Object.fromEntries([...outcome.state].map(([k, v]) => [k, text(v)]));
}

describe("sequences (E1–E6)", () => {
  it("E1: one fn step stores its output under the reference as written", async () => {
    expect(stateOf(await sequence("      - fn: helloworld-rs\n", "world"))["helloworld-rs"]).toBe("hello world");
  });

  it("E2: group members share the state before the step; `as` is honoured", async () => {
    const state = stateOf(
      await sequence(
        "      - group:\n          - fn: helloworld-rs\n          - { fn: get-file, as: main.md }\n",
        "world",
        { file: "main.md" },
        fakeRunnables(),
        "main.md",
      ),
    );
    expect(state).toMatchObject({ "helloworld-rs": "hello world", "main.md": "## hello" });
  });

  it("E3: onErr any: continue stores the RunErr's JSON (Go escaping) and goes on", async () => {
    const fakes = fakeRunnables();
    fakes.set("return-err", () => ({ error: { code: 400, message: "job <failed> & done" } }));
    const state = stateOf(
      await sequence("      - { fn: helloworld-rs, as: hello }\n      - { fn: return-err, onErr: { any: continue } }\n", "world", {}, fakes),
    );
    expect(state.hello).toBe("hello world");
    expect(state["return-err"]).toBe('{"code":400,"message":"job \\u003cfailed\\u003e \\u0026 done"}');
  });

  it("E4: a RunErr with onErr any: return, or no onErr, ends the sequence", async () => {
    for (const onErr of [", onErr: { any: return }", ""]) {
      const outcome = await sequence(`      - { fn: helloworld-rs, as: hello }\n      - { fn: return-err${onErr} }\n      - fn: log-it\n`, "world");
      expect(outcome).toEqual({ kind: "runErr", error: { code: 400, message: "job failed" } });
    }
  });

  it("E5: `with` gives the function only its aliases", async () => {
    const fakes = fakeRunnables();
    const state = stateOf(await sequence("      - fn: helloworld-rs\n      - { fn: modify-url, with: { url: helloworld-rs } }\n", "", {}, fakes));
    expect(state).toMatchObject({ "helloworld-rs": "hello ", "modify-url": "hello /suborbital" });
    expect(Object.keys(fakes.calls[1]!.request.state)).toEqual(["url"]);
  });

  it("E6 (intent Q3): forEach results come in INPUT order, keys sorted, and __elem does not stay", async () => {
    const people = '[{"name":"Connor"},{"name":"Jimmy"},{"name":"Bob"}]';
    const fakes = fakeRunnables();
    const state = stateOf(await sequence("      - forEach: { in: people, fn: run-each, as: hello-people }\n", "", { people }, fakes));
    expect(state["hello-people"]).toBe('[{"name":"Hello Connor"},{"name":"Hello Jimmy"},{"name":"Hello Bob"}]');
    expect(state).not.toHaveProperty("__elem");
    expect(fakes.calls.map((c) => text(c.request.state.__elem))).toEqual(['{"name":"Connor"}', '{"name":"Jimmy"}', '{"name":"Bob"}']);
  });

  it("forEach runs at most forEachConcurrency elements at once", async () => {
    const d = loadDirective(`${xHeader()}handlers:\n${handlerYaml("POST", "/x", "      - forEach: { in: items, fn: run-each, as: out }\n")}`);
    let running = 0;
    let peak = 0;
    const fakes = fakeRunnables();
    fakes.set("run-each", async () => {
      peak = Math.max(peak, ++running);
      await new Promise((resolve) => setImmediate(resolve));
      running--;
      return { output: bytes("{}"), headers: {} };
    });
    const items = JSON.stringify(Array.from({ length: 10 }, (_, i) => ({ i })));
    const outcome = await runSequence(
      d,
      d.handlers[0]!.steps,
      { method: "POST", url: "/x", requestId: "r", body: bytes(""), headers: {}, params: {} },
      new Map([["items", bytes(items)]]),
      fakes,
      { forEachConcurrency: 3 },
    );
    expect(outcome.kind).toBe("ok");
    expect(peak).toBe(3);
  });
});

describe("group members use their own onErr and with (intent Q1)", () => {
  it("a member's onErr continue is honoured; the step-level onErr is the fallback", async () => {
    const state = stateOf(
      await sequence(
        "      - group:\n          - { fn: return-err, onErr: { any: continue } }\n          - fn: helloworld-rs\n",
        "w",
        {},
        fakeRunnables(),
        "helloworld-rs",
      ),
    );
    expect(state["return-err"]).toBe('{"code":400,"message":"job failed"}');
    const fallback = await sequence(
      "      - group:\n          - fn: return-err\n          - fn: helloworld-rs\n        onErr: { any: continue }\n",
      "w",
      {},
      fakeRunnables(),
      "helloworld-rs",
    );
    expect(stateOf(fallback)["return-err"]).toContain("job failed");
    expect(
      (await sequence("      - group:\n          - fn: return-err\n          - fn: helloworld-rs\n", "w", {}, fakeRunnables(), "helloworld-rs")).kind,
    ).toBe("runErr");
  });

  it("a member's with decides what it sees", async () => {
    const fakes = fakeRunnables();
    await sequence(
      "      - { fn: helloworld-rs, as: a }\n      - group:\n          - { fn: modify-url, with: { url: a } }\n          - fn: log-it\n",
      "",
      { other: "x" },
      fakes,
      "log-it",
    );
    expect(Object.keys(fakes.calls[1]!.request.state)).toEqual(["url"]);
    expect(Object.keys(fakes.calls[2]!.request.state).sort()).toEqual(["a", "other"]);
  });
});

describe("handlers over HTTP (E7–E14)", () => {
  it("E7: POST /foreach returns the array as JSON with the function's Content-Type", async () => {
    const { app: a } = app(
      handlerYaml("POST", "/foreach", "      - { fn: set-array, as: people }\n      - forEach: { in: people, fn: run-each, as: hello-people }\n"),
    );
    const r = await request(a, "POST", "/foreach", '[{"name":"Connor"},{"name":"Jimmy"},{"name":"Bob"}]');
    expect(r).toMatchObject({ status: 200, body: '[{"name":"Hello Connor"},{"name":"Hello Jimmy"},{"name":"Hello Bob"}]' });
    expect(r.headers["Content-Type"]).toBe("application/json");
  });

  it("E8: a catch-all param reaches the static file; octet-stream by default", async () => {
    const { app: a } = app(handlerYaml("GET", "/file/*file", "      - fn: get-file\n"));
    expect(await request(a, "GET", "/file/main.md")).toMatchObject({ status: 200, body: "## hello", headers: { "Content-Type": "application/octet-stream" } });
    expect(await request(a, "GET", "/file/nope")).toMatchObject({ status: 200, body: "failed" });
  });

  it("E9: set then get through route params", async () => {
    const { app: a } = app(handlerYaml("POST", "/set/:key", "      - fn: cache-set\n") + handlerYaml("GET", "/get/:key", "      - fn: cache-get\n"));
    expect(await request(a, "POST", "/set/foo", "bar")).toMatchObject({ status: 200, body: "" });
    expect(await request(a, "GET", "/get/foo")).toMatchObject({ status: 200, body: "bar" });
  });

  it("E10 (intent Q2): a final fn with `as` and no response returns its output", async () => {
    const { app: a } = app(handlerYaml("POST", "/hello", "      - { fn: helloworld-rs, as: h }\n"));
    expect(await request(a, "POST", "/hello", "world")).toMatchObject({ status: 200, body: "hello world" });
  });

  it("E3/E4 over HTTP: continue gives 200 with the error JSON; return gives the error's status and {status,message}", async () => {
    const { app: a } = app(
      handlerYaml("POST", "/cont", "      - { fn: helloworld-rs, as: hello }\n      - { fn: return-err, onErr: { any: continue } }\n") +
        handlerYaml("POST", "/ret", "      - { fn: helloworld-rs, as: hello }\n      - fn: return-err\n"),
    );
    expect(await request(a, "POST", "/cont", "world")).toMatchObject({ status: 200, body: '{"code":400,"message":"job failed"}' });
    const ret = await request(a, "POST", "/ret", "world");
    expect(ret).toMatchObject({ status: 400, body: '{"status":400,"message":"job failed"}', headers: { "Content-Type": "application/json" } });
  });

  it("E11: a RunErr code outside 200–599 is a 500", async () => {
    for (const code of [0, 700]) {
      const fakes = fakeRunnables();
      fakes.set("return-err", () => ({ error: { code, message: "odd" } }));
      const { app: a } = app(handlerYaml("GET", "/e", "      - fn: return-err\n"), fakes);
      expect(await request(a, "GET", "/e")).toMatchObject({ status: 500, body: '{"status":500,"message":"odd"}' });
    }
  });

  it("E12: a schedule run is method SCHED, url its name, an empty body and its seed state", async () => {
    const { app: a, fakes } = app(
      handlerYaml("GET", "/x", "      - fn: log-it\n"),
      fakeRunnables(),
      {},
      "schedules:\n  - name: run-every-10\n    every: { seconds: 30 }\n    state: { repo: wactor }\n    steps:\n      - fn: log-it\n",
    );
    expect(a.schedules()).toEqual([{ name: "run-every-10", periodMs: 30_000 }]);
    const outcome = await a.runSchedule("run-every-10");
    expect(outcome.kind).toBe("ok");
    const call = fakes.calls[0]!.request;
    expect({ method: call.method, url: call.url, body: text(call.body), repo: text(call.state.repo) }).toEqual({
      method: "SCHED",
      url: "run-every-10",
      body: "",
      repo: "wactor",
    });
  });

  it("E13: headless mode serves each runnable at /<identifier>/<namespace>/<name>/<version>", async () => {
    const { app: a, fakes } = app(handlerYaml("GET", "/x", "      - fn: log-it\n"), fakeRunnables(), { headless: true });
    const r = await request(a, "POST", "/com.suborbital.test/default/helloworld-rs/v0.0.1", "x", { "x-atmo-state": '{"k":"v"}', "x-atmo-params": "not json" });
    expect(r).toMatchObject({ status: 200, body: "hello x", headers: { "X-Atmo-Requestid": "rid-1" } });
    expect(text(fakes.calls[0]!.request.state.k)).toBe("v");
    expect(fakes.calls[0]!.request.params).toEqual({});
    expect((await request(a, "GET", "/x")).status).toBe(404);
  });

  it("E14 (intent Q7): bad forEach data is a 500 with a catalog code and no internal text", async () => {
    const failures: WactorError[] = [];
    const { app: a, fakes } = app(
      handlerYaml("POST", "/each", "      - { fn: set-array, as: items }\n      - forEach: { in: items, fn: run-each, as: out }\n"),
      fakeRunnables(),
      { onFailure: (e) => void failures.push(e) },
    );
    const notArray = await request(a, "POST", "/each", '"abc"');
    expect(notArray.status).toBe(500);
    expect(JSON.parse(notArray.body)).toMatchObject({ status: 500, code: "WACTOR_ERR_FOREACH_INPUT" });
    expect(notArray.body).not.toContain("items");
    fakes.set("run-each", () => ({ output: bytes('"str"'), headers: {} }));
    expect(JSON.parse((await request(a, "POST", "/each", "[1]")).body)).toMatchObject({ status: 500, code: "WACTOR_ERR_FOREACH_OUTPUT" });
    expect(failures.map((f) => f.code)).toEqual(["WACTOR_ERR_FOREACH_INPUT", "WACTOR_ERR_FOREACH_OUTPUT"]);
    expect(failures[0]!.message).toContain("'items'");
  });
});

describe("infrastructure failures", () => {
  it("a step that outlives the step timeout is aborted and answered 500 WACTOR_ERR_STEP_TIMEOUT", async () => {
    const fakes = fakeRunnables();
    let aborted = false;
    fakes.set(
      "helloworld-rs",
      (_r, signal) =>
        new Promise((_, reject) =>
          signal.addEventListener("abort", () => {
            aborted = true;
            reject(signal.reason as Error);
          }),
        ),
    );
    const { app: a } = app(handlerYaml("GET", "/slow", "      - fn: helloworld-rs\n"), fakes, { stepTimeoutMs: 20 });
    const r = await request(a, "GET", "/slow");
    expect(r.status).toBe(500);
    expect(JSON.parse(r.body)).toMatchObject({ code: "WACTOR_ERR_STEP_TIMEOUT" });
    expect(aborted).toBe(true);
  });

  it("a trap is a 500 with its catalog code; a non-catalog failure is WACTOR_ERR_INTERNAL", async () => {
    const fakes = fakeRunnables();
    fakes.set("helloworld-rs", () => Promise.reject(new WactorError("WACTOR_ERR_TRAP", "unreachable at 0x42")));
    fakes.set("log-it", () => Promise.reject(new Error("boom")));
    const { app: a } = app(handlerYaml("GET", "/trap", "      - fn: helloworld-rs\n") + handlerYaml("GET", "/bug", "      - fn: log-it\n"), fakes);
    const trap = await request(a, "GET", "/trap");
    expect(trap.status).toBe(500);
    expect(JSON.parse(trap.body)).toMatchObject({ code: "WACTOR_ERR_TRAP" });
    expect(trap.body).not.toContain("0x42");
    expect(JSON.parse((await request(a, "GET", "/bug")).body)).toMatchObject({ status: 500, code: "WACTOR_ERR_INTERNAL" });
  });

  it("response headers from functions merge in canonical case; later writes win; errors drop them", async () => {
    const fakes = fakeRunnables();
    fakes.set("helloworld-rs", () => ({ output: bytes("a"), headers: { "x-one": "1", "content-type": "text/plain" } }));
    fakes.set("log-it", () => ({ output: bytes("b"), headers: { "X-One": "2" } }));
    const { app: a } = app(handlerYaml("GET", "/h", "      - fn: helloworld-rs\n      - fn: log-it\n"), fakes);
    const r = await request(a, "GET", "/h", "", { host: "example", "user-agent": "t" });
    expect(r.headers).toEqual({ "X-One": "2", "Content-Type": "text/plain" });
    expect(fakes.calls[0]!.request.headers).toEqual({ "User-Agent": "t" });
  });
});

describe("the Job wire form (MessagePack)", () => {
  it("invokerFromCall sends operation Job with the request and decodes both reply shapes", async () => {
    const { decode, encode } = await import("@msgpack/msgpack");
    const { invokerFromCall } = await import("../src/directive/job.js");
    const seen: Array<{ fqfn: string; operation: string; payload: unknown }> = [];
    const replies = [
      encode({ output: bytes("out"), headers: { "X-A": "1" } }),
      encode({ error: { code: 418, message: "teapot" } }),
      encode({ output: { not: "bytes" } }),
    ];
    const invoker = invokerFromCall(async (fqfn, operation, payload) => {
      seen.push({ fqfn, operation, payload: decode(payload) });
      return replies.shift()!;
    });
    const request = {
      method: "GET",
      url: "/x?y=1",
      requestId: "id",
      body: bytes("b"),
      headers: { Accept: "*/*" },
      params: { k: "v" },
      state: { s: bytes("1") },
    };
    const cancel = { signal: new AbortController().signal };
    expect(await invoker.invoke("a#default::f@v1", request, cancel)).toEqual({ output: bytes("out"), headers: { "X-A": "1" } });
    expect(seen[0]).toEqual({ fqfn: "a#default::f@v1", operation: "Job", payload: request });
    expect(await invoker.invoke("a#default::f@v1", request, cancel)).toEqual({ error: { code: 418, message: "teapot" } });
    await expect(invoker.invoke("a#default::f@v1", request, cancel)).rejects.toMatchObject({ code: "WACTOR_ERR_BAD_PAYLOAD" });
  });
});

describe("functions answered at once (direct calls on this host)", () => {
  const cases: Array<[string, string, string, Record<string, string>?]> = [
    [
      "fn → group → fn",
      "      - { fn: helloworld-rs, as: first }\n      - group: [ { fn: modify-url, with: { url: first }, as: m }, { fn: set-array, as: s } ]\n      - fn: helloworld-rs\n",
      "world",
    ],
    [
      "forEach in input order",
      "      - fn: set-array\n      - forEach: { in: set-array, fn: run-each, as: out }\n",
      '[{"name":"Connor"},{"name":"Jimmy"},{"name":"Bob"}]',
    ],
    ["a RunErr that onErr continues", "      - fn: return-err\n        onErr: { any: continue }\n      - fn: helloworld-rs\n", "x"],
    ["a RunErr that ends the sequence", "      - fn: return-err\n      - fn: helloworld-rs\n", "x"],
    ["forEach over what is not a JSON array", "      - fn: helloworld-rs\n      - forEach: { in: helloworld-rs, fn: run-each, as: out }\n", "x"],
  ];
  it.each(cases)("%s: the same outcome as when they answer later", async (_what, steps, body, state = {}) => {
    const later = await sequence(steps, body, state, fakeRunnables());
    const atOnce = fakeRunnables(undefined, { atOnce: true });
    const now = await sequence(steps, body, state, atOnce);
    if (now.kind !== "failed") expect(atOnce.calls.length).toBeGreaterThan(0);
    const view = (o: typeof later) =>
      o.kind === "ok" ? { kind: o.kind, state: stateOf(o), headers: o.headers } : o.kind === "runErr" ? o : { kind: o.kind, code: o.error.code };
    expect(view(now)).toEqual(view(later));
  });

  it("runs fn → group → fn in the caller's turn: the outcome itself, not a promise (one only when a call answers later)", () => {
    const steps = "      - fn: helloworld-rs\n      - group: [ { fn: modify-url, as: m }, { fn: set-array, as: s } ]\n      - fn: helloworld-rs\n";
    const now = sequence(steps, "world", {}, fakeRunnables(undefined, { atOnce: true }));
    expect(now).not.toBeInstanceOf(Promise);
    expect(stateOf(now as Awaited<typeof now>)).toMatchObject({ "helloworld-rs": "hello world" });
    expect(sequence(steps, "world", {}, fakeRunnables())).toBeInstanceOf(Promise);
  });
});

describe("a call's state record", () => {
  it("holds every key as an own data property, __proto__ included, with or without `with`", async () => {
    const { stateRecord, desiredState } = await import("../src/directive/step-context.js");
    const value = bytes("v");
    const state = new Map([
      ["__proto__", value],
      ["a", bytes("a")],
    ]);
    for (const record of [
      stateRecord(state),
      desiredState(
        Object.fromEntries([
          ["__proto__", "__proto__"],
          ["b", "a"],
        ]),
        state,
        "step 0",
      ),
    ]) {
      expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
      expect(Object.hasOwn(record, "__proto__")).toBe(true);
      expect(text(record.__proto__ as unknown as Uint8Array)).toBe("v");
    }
  });
});
