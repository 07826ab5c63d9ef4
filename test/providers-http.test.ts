import { request as httpRequest } from "node:http";
import { createServer, type Server } from "node:net";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HttpServerProvider } from "../capabilities/http-server/mod.js";
import { decodeHttpRequest, encodeHttpResponse, type HttpRequest, type HttpResponse } from "../src/codec/mod.js";
import { WactorError } from "../src/errors.js";
import type { ActorIdentity, ProviderContext } from "../src/provider/contract.js";
import { freePort } from "./helpers/servers.js";

const actor = (key: string): ActorIdentity => ({ key, issuer: "AISSUER", caps: ["wascc:http_server"] });
const ACTOR = actor("MHTTPACTOR");
const seen: { actorKey: string; binding: string; operation: string; request: HttpRequest }[] = [];
const json = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));

/** A stand-in for the host: decodes the request like an actor would and answers by path. */
const context: ProviderContext = {
  logger: pino({ level: "silent" }),
  deliver: async (actorKey, binding, operation, payload) => {
    const request = decodeHttpRequest(payload);
    seen.push({ actorKey, binding, operation, request });
    switch (request.path) {
      case "/binary":
        return encodeHttpResponse({ statusCode: 200, status: "OK", header: { "content-type": "application/octet-stream" }, body: request.body });
      case "/created":
        return encodeHttpResponse({ statusCode: 201, status: "Created", header: { "x-made-by": "actor", "content-length": "999" }, body: json({ ok: true }) });
      case "/fail":
        throw new WactorError("WACTOR_ERR_GUEST_ERROR", "boom");
      case "/plain-error":
        throw new Error("plain failure");
      case "/slow":
        throw new WactorError("WACTOR_ERR_DEADLINE", "deadline_ms 10");
      case "/status-504":
        throw Object.assign(new Error("upstream deadline"), { status: 504 });
      case "/busy":
        throw new WactorError("WACTOR_ERR_BUSY", "queue full");
      case "/bad-reply":
        return new Uint8Array([0xc1]);
      default:
        return encodeHttpResponse({
          statusCode: 200,
          status: "OK",
          header: { "content-type": "application/json" },
          body: json({
            method: request.method,
            path: request.path,
            queryString: request.queryString,
            header: request.header,
            body: new TextDecoder().decode(request.body),
            binding,
          }),
        });
    }
  },
};

const provider = new HttpServerProvider();
let base = "";
beforeAll(async () => {
  await provider.start(context);
  await provider.bind(ACTOR, "default", { PORT: "0", MAX_BODY: "100" });
  base = `http://127.0.0.1:${provider.address(ACTOR.key, "default")?.port}`;
});
afterAll(async () => {
  await provider.stop();
});

interface Echo {
  method: string;
  path: string;
  queryString: string;
  header: Record<string, string>;
  body: string;
  binding: string;
}

describe("http server provider", () => {
  it("delivers HandleRequest with method, path, query string (no '?') and lower-cased headers", async () => {
    const res = await fetch(`${base}/a/b?x=1&y=%20z`, { method: "PUT", headers: { "X-Custom-Thing": "Yes", "Content-Type": "text/plain" }, body: "hello" });
    expect(res.status).toBe(200);
    const echo = (await res.json()) as Echo;
    expect(echo).toMatchObject({ method: "PUT", path: "/a/b", queryString: "x=1&y=%20z", body: "hello", binding: "default" });
    expect(echo.header["x-custom-thing"]).toBe("Yes");
    expect(echo.header["content-type"]).toBe("text/plain");
    expect(Object.keys(echo.header).every((name) => name === name.toLowerCase())).toBe(true);
    expect(seen.at(-1)).toMatchObject({ actorKey: ACTOR.key, binding: "default", operation: "HandleRequest" });
  });

  it("serves the root path and every method, with an empty query string and body when absent", async () => {
    for (const method of ["GET", "DELETE", "PATCH", "OPTIONS"]) {
      const echo = (await (await fetch(`${base}/`, { method })).json()) as Echo;
      expect(echo).toMatchObject({ method, path: "/", queryString: "", body: "" });
    }
    const head = await fetch(`${base}/anything`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(seen.at(-1)?.request.method).toBe("HEAD");
    // fetch refuses bodies on GET and unusual methods: node:http sends them as clients may.
    for (const method of ["GET", "PROPFIND"]) {
      const echo = await new Promise<Echo>((resolve, reject) => {
        const req = httpRequest(`${base}/dav`, { method, headers: { "content-length": "11" } }, (res) => {
          let text = "";
          res.on("data", (chunk: Buffer) => (text += chunk.toString()));
          res.on("end", () => resolve(JSON.parse(text) as Echo));
        });
        req.on("error", reject);
        req.end("<propfind/>");
      });
      expect(echo).toMatchObject({ method, path: "/dav", body: "<propfind/>" });
    }
  });

  it("passes JSON and untyped bodies through as raw bytes", async () => {
    const typed = (await (await fetch(`${base}/j`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"a": 1}' })).json()) as Echo;
    expect(typed.body).toBe('{"a": 1}');
    const untyped = (await (await fetch(`${base}/u`, { method: "POST", body: new Uint8Array([104, 105]) })).json()) as Echo;
    expect(untyped.body).toBe("hi");
  });

  it("round-trips a binary body byte for byte", async () => {
    const bytes = Uint8Array.from({ length: 100 }, (_, i) => (i * 37 + 255) % 256);
    const res = await fetch(`${base}/binary`, { method: "POST", headers: { "content-type": "application/x-weird" }, body: bytes });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/octet-stream");
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes);
    expect(seen.at(-1)?.request.body).toEqual(bytes);
  });

  it("sends the actor's status code and headers, never its framing headers", async () => {
    const res = await fetch(`${base}/created`);
    expect(res.status).toBe(201);
    expect(res.headers.get("x-made-by")).toBe("actor");
    expect(await res.json()).toEqual({ ok: true });
  });

  it("answers 413 above MAX_BODY without delivering", async () => {
    const before = seen.length;
    const res = await fetch(`${base}/big`, { method: "POST", body: new Uint8Array(101) });
    expect(res.status).toBe(413);
    expect(seen.length).toBe(before);
    expect((await fetch(`${base}/ok`, { method: "POST", body: new Uint8Array(100) })).status).toBe(200);
  });

  it("maps an actor error to 500 JSON with code and message", async () => {
    const res = await fetch(`${base}/fail`);
    expect(res.status).toBe(500);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("WACTOR_ERR_GUEST_ERROR");
    expect(body.error.message).toContain("boom");
    expect((await fetch(`${base}/plain-error`)).status).toBe(500);
    const bad = await fetch(`${base}/bad-reply`);
    expect(bad.status).toBe(500);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe("WACTOR_ERR_BAD_PAYLOAD");
  });

  it("maps a deadline to 504 and a busy actor to 503 with Retry-After", async () => {
    const slow = await fetch(`${base}/slow`);
    expect(slow.status).toBe(504);
    expect(((await slow.json()) as { error: { code: string } }).error.code).toBe("WACTOR_ERR_DEADLINE");
    expect((await fetch(`${base}/status-504`)).status).toBe(504);
    const busy = await fetch(`${base}/busy`);
    expect(busy.status).toBe(503);
    expect(busy.headers.get("retry-after")).toBe("1");
  });

  it("serves one actor on two ports under two binding names", async () => {
    const [p1, p2] = [await freePort(), await freePort()];
    await provider.bind(ACTOR, "web1", { PORT: String(p1) });
    await provider.bind(ACTOR, "web2", { PORT: String(p2) });
    try {
      expect(((await (await fetch(`http://127.0.0.1:${p1}/x`)).json()) as Echo).binding).toBe("web1");
      expect(((await (await fetch(`http://127.0.0.1:${p2}/x`)).json()) as Echo).binding).toBe("web2");
      expect(provider.bindingStatus(ACTOR.key, "web1")).toEqual({ state: "ok" });
    } finally {
      await provider.unbind(ACTOR.key, "web1");
      await provider.unbind(ACTOR.key, "web2");
    }
  });

  it("rejects a port in use at bind time, naming the port, and leaves nothing bound", async () => {
    const taken = provider.address(ACTOR.key, "default")?.port ?? 0;
    const other = actor("MOTHERACTOR");
    await expect(provider.bind(other, "default", { PORT: String(taken) })).rejects.toMatchObject({
      code: "WACTOR_ERR_PORT_IN_USE",
      message: expect.stringContaining(String(taken)),
    });
    const foreign: Server = createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => foreign.listen(port, "127.0.0.1", resolve));
    try {
      await expect(provider.bind(other, "default", { PORT: String(port) })).rejects.toMatchObject({
        code: "WACTOR_ERR_PORT_IN_USE",
        status: 409,
        message: expect.stringContaining(String(port)),
      });
    } finally {
      await new Promise((resolve) => foreign.close(resolve));
    }
    expect(provider.bindingStatus(other.key, "default")).toBeUndefined();
  });

  it("rejects missing or malformed binding values", async () => {
    const other = actor("MBADVALUES");
    await expect(provider.bind(other, "default", {})).rejects.toMatchObject({ code: "WACTOR_ERR_BINDING_INVALID", message: expect.stringContaining("PORT") });
    await expect(provider.bind(other, "default", { PORT: "http" })).rejects.toMatchObject({ code: "WACTOR_ERR_BINDING_INVALID" });
    await expect(provider.bind(other, "default", { PORT: "70000" })).rejects.toMatchObject({ code: "WACTOR_ERR_BINDING_INVALID" });
    await expect(provider.bind(other, "default", { PORT: "0", MAX_BODY: "-1" })).rejects.toMatchObject({ code: "WACTOR_ERR_BINDING_INVALID" });
  });

  it("closes the port on unbind: connections are refused afterwards", async () => {
    const port = await freePort();
    await provider.bind(ACTOR, "temp", { PORT: String(port) });
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200);
    await provider.unbind(ACTOR.key, "temp");
    expect(provider.bindingStatus(ACTOR.key, "temp")).toBeUndefined();
    const err = (await fetch(`http://127.0.0.1:${port}/`).catch((e: unknown) => e)) as { cause?: { code?: string } };
    expect(err.cause?.code).toBe("ECONNREFUSED");
  });

  it("mounts a listener answered by a host part instead of an actor, with the same limits and error mapping", async () => {
    const seenByTarget: HttpRequest[] = [];
    await provider.mount("bundle:demo", "routes", { PORT: "0", MAX_BODY: "10" }, async (request) => {
      seenByTarget.push(request);
      if (request.path === "/fail") throw new WactorError("WACTOR_ERR_DEADLINE", "step");
      return { statusCode: 202, status: "Accepted", header: { "x-from": "target" }, body: request.body };
    });
    const port = provider.address("bundle:demo", "routes")?.port;
    try {
      const ok = await fetch(`http://127.0.0.1:${port}/a/b?x=1`, { method: "POST", body: "hi" });
      expect(ok.status).toBe(202);
      expect(ok.headers.get("x-from")).toBe("target");
      expect(await ok.text()).toBe("hi");
      expect(seenByTarget[0]).toMatchObject({ method: "POST", path: "/a/b", queryString: "x=1" });
      expect((await fetch(`http://127.0.0.1:${port}/fail`)).status).toBe(504);
      expect((await fetch(`http://127.0.0.1:${port}/big`, { method: "POST", body: "0123456789ABC" })).status).toBe(413);
      expect(seenByTarget.map((r) => r.path)).toEqual(["/a/b", "/fail"]);
      // No actor delivery happened for any of these.
      expect(seen.some((s) => s.actorKey === "bundle:demo")).toBe(false);
    } finally {
      await provider.unbind("bundle:demo", "routes");
    }
    expect(provider.address("bundle:demo", "routes")).toBeUndefined();
  });

  it("answers a target's response given at once (no promise) in the request's turn; a throw or a bad status at once or later is a catalog error", async () => {
    await provider.mount("bundle:sync", "routes", { PORT: "0" }, (request): HttpResponse | Promise<HttpResponse> => {
      if (request.path === "/throw") throw new WactorError("WACTOR_ERR_BUSY", "at once");
      if (request.path === "/bad") return { statusCode: 42, status: "", header: {}, body: new Uint8Array() };
      if (request.path === "/bad-later") return Promise.resolve({ statusCode: 700, status: "", header: {}, body: new Uint8Array() });
      return { statusCode: 201, status: "Created", header: { "x-at": "once", "content-length": "999" }, body: new TextEncoder().encode("now") };
    });
    const port = provider.address("bundle:sync", "routes")?.port;
    try {
      const ok = await fetch(`http://127.0.0.1:${port}/now`);
      expect([ok.status, ok.headers.get("x-at"), await ok.text()]).toEqual([201, "once", "now"]);
      const busy = await fetch(`http://127.0.0.1:${port}/throw`);
      expect([busy.status, busy.headers.get("retry-after"), ((await busy.json()) as { error: { code: string } }).error.code]).toEqual([
        503,
        "1",
        "WACTOR_ERR_BUSY",
      ]);
      for (const path of ["/bad", "/bad-later"]) {
        const bad = await fetch(`http://127.0.0.1:${port}${path}`);
        expect([bad.status, ((await bad.json()) as { error: { code: string } }).error.code]).toEqual([500, "WACTOR_ERR_BAD_PAYLOAD"]);
      }
    } finally {
      await provider.unbind("bundle:sync", "routes");
    }
  });

  it("takes no calls from actors", async () => {
    await expect(provider.handleCall({ actor: ACTOR, binding: "default", operation: "HandleRequest", payload: new Uint8Array() })).rejects.toMatchObject({
      code: "WACTOR_ERR_UNKNOWN_OPERATION",
    });
  });

  it("quiesce lets requests in flight finish, then closes keep-alive sockets and the port", async () => {
    let received = 0;
    const slow = new HttpServerProvider();
    await slow.start({
      logger: pino({ level: "silent" }),
      deliver: async () => {
        received++;
        await new Promise((r) => setTimeout(r, 300));
        return encodeHttpResponse({ statusCode: 200, status: "OK", header: {}, body: json({ done: true }) });
      },
    });
    await slow.bind(ACTOR, "default", { PORT: "0" });
    const port = slow.address(ACTOR.key, "default")!.port;
    const inFlight = Array.from({ length: 5 }, () =>
      fetch(`http://127.0.0.1:${port}/work`).then(
        (r) => `${r.status} ${r.headers.get("connection")}`,
        (e: { cause?: { code?: string } }) => e.cause?.code ?? "error",
      ),
    );
    for (let i = 0; i < 100 && received < 5; i++) await new Promise((r) => setTimeout(r, 10));
    expect(received).toBe(5);
    await slow.quiesce();
    // Every accepted request got its answer, telling the client to close its keep-alive
    // socket, so quiesce need not wait for clients to go away.
    expect(await Promise.all(inFlight)).toEqual(Array(5).fill("200 close"));
    const err = (await fetch(`http://127.0.0.1:${port}/`).catch((e: unknown) => e)) as { cause?: { code?: string } };
    expect(err.cause?.code).toBe("ECONNREFUSED");
    await slow.stop();
  });
});
