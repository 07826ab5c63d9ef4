/**
 * The Rust echo actor (actors/echo-rs: rustc + serde + rmp-serde, waPC ABI by hand) served over
 * HTTP as the AssemblyScript echo is: the same JSON for the same request, and the same limits.
 */
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBuiltinProvider } from "../capabilities/mod.js";
import { decodeHttpResponse, encodeHttpRequest } from "../src/codec/mod.js";
import { Host } from "../src/host/host.js";
import { actor, signedBytes } from "./helpers/actors.js";
import { codeOf } from "./helpers/code-of.js";
import { freePort } from "./helpers/servers.js";

interface Reply {
  status: number;
  type: string | null;
  json: Record<string, unknown>;
}

const REQUESTS: Array<[string, RequestInit]> = [
  ["/bench", {}],
  ["/a/b?x=1&y=%20two", { headers: { "x-trace": 'quote " and \\ backslash' } }],
  ["/post", { method: "POST", body: '{"k":[1,2,3]}', headers: { "content-type": "application/json" } }],
  ["/put?é=ü", { method: "PUT", body: "line one\nline two\ttab \u0001 ünïcødé ✓ 😀" }],
  ["/empty", { method: "DELETE" }],
];

describe("the Rust echo actor (actors/echo-rs) next to the AssemblyScript echo", () => {
  const host = new Host({ logger: pino({ level: "silent" }), actorDefaults: { instances: 2, deadlineMs: 5000 } });
  const ports = new Map<string, number>();

  beforeAll(async () => {
    await host.addProvider(createBuiltinProvider("wascc:http_server"));
    for (const name of ["echo", "echo-rs"]) {
      const { key } = await host.startActor(signedBytes(name));
      const port = await freePort();
      await host.bind(key, "wascc:http_server", "default", { PORT: String(port) });
      ports.set(name, port);
    }
  });
  afterAll(() => host.shutdown());

  /** One request to one actor's server; the Host header's port is the only expected difference. */
  async function ask(name: string, path: string, init: RequestInit): Promise<Reply> {
    const port = ports.get(name)!;
    const res = await fetch(`http://127.0.0.1:${port}${path}`, init);
    const json = JSON.parse(await res.text()) as Record<string, unknown>;
    const headers = json.headers as Record<string, string>;
    expect(headers.host).toBe(`127.0.0.1:${port}`);
    headers.host = "127.0.0.1:PORT";
    return { status: res.status, type: res.headers.get("content-type"), json };
  }

  it.each(REQUESTS)("%s gets the same status, content type and JSON from both", async (path, init) => {
    const as = await ask("echo", path, init);
    const rs = await ask("echo-rs", path, init);
    expect(rs.status).toBe(200);
    expect(rs.type).toMatch(/^application\/json/);
    expect(rs).toEqual(as);
    expect(Object.keys(rs.json)).toEqual(["method", "path", "query_string", "headers", "body_len", "body"]);
    expect(Object.keys(rs.json.headers as object)).toEqual(Object.keys(as.json.headers as object));
  });

  it("runs metered (instrumented, preemptible) like the AssemblyScript actors, not on the thread fallback", () => {
    expect(host.actorInfo(actor("echo-rs").publicKey)?.isolation).toBe("metered");
    expect(host.actorInfo(actor("echo").publicKey)?.isolation).toBe("metered");
  });

  it("answers Echo with its payload and refuses an unknown operation with its error text", async () => {
    const key = actor("echo-rs").publicKey;
    expect([...(await host.invoke(key, "Echo", new Uint8Array([1, 2, 3])))]).toEqual([1, 2, 3]);
    expect(await host.invoke(key, "HealthRequest", new Uint8Array())).toHaveLength(0);
    await expect(host.invoke(key, "Nope", new Uint8Array())).rejects.toThrow(/no handler for operation Nope/);
  });

  it("answers a 3 MiB body under the default 64 MiB ceiling (the one the next test lowers)", async () => {
    const body = new Uint8Array(3 * 1024 * 1024).fill(97);
    const payload = encodeHttpRequest({ method: "POST", path: "/big", queryString: "", header: {}, body });
    const reply = decodeHttpResponse(await host.invoke(actor("echo-rs").publicKey, "HandleRequest", payload));
    expect(JSON.parse(new TextDecoder().decode(reply.body))).toMatchObject({ body_len: body.length });
  });
});

describe("the Rust echo under a memory ceiling", () => {
  const host = new Host({ logger: pino({ level: "silent" }), actorDefaults: { instances: 1, deadlineMs: 5000, maxMemoryBytes: 2 * 1024 * 1024 } });
  let key = "";
  beforeAll(async () => {
    key = (await host.startActor(signedBytes("echo-rs"))).key;
  });
  afterAll(() => host.shutdown());

  const request = (body: Uint8Array) => encodeHttpRequest({ method: "POST", path: "/big", queryString: "", header: {}, body });

  // At the ceiling memory.grow answers -1, Rust's allocator reports the failure and the guest aborts
  // (`unreachable`): a trap, where an AssemblyScript hog is caught growing (WACTOR_ERR_MEMORY_LIMIT).
  it("a request too big for its memory fails only that invocation (a trap); the next one is answered", async () => {
    expect(await codeOf(host.invoke(key, "HandleRequest", request(new Uint8Array(3 * 1024 * 1024).fill(97))))).toBe("WACTOR_ERR_TRAP");
    const reply = decodeHttpResponse(await host.invoke(key, "HandleRequest", request(new TextEncoder().encode("small"))));
    expect(reply.statusCode).toBe(200);
    expect(JSON.parse(new TextDecoder().decode(reply.body))).toMatchObject({ method: "POST", path: "/big", body_len: 5, body: "small" });
  });
});
