/**
 * The wascc:http_client provider against real local fastify servers standing in for the
 * internet. Names like api.example.com resolve to 127.0.0.1 through the provider's `resolve`
 * option, so the private-address rule is met exactly as a rebinding name would meet it.
 */
import { lookup } from "node:dns/promises";
import { Readable } from "node:stream";
import Fastify, { type FastifyInstance } from "fastify";
import { pino } from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { HttpClientProvider, parseConfig } from "../capabilities/http-client/mod.js";
import { decodeHttpClientResponse, encodeHttpClientRequest, type HttpClientResponse } from "../src/codec/mod.js";
import { isWactorError } from "../src/errors.js";
import type { ActorIdentity } from "../src/provider/contract.js";
import { maskValues } from "../src/lattice/wire/mask.js";
import { eventually } from "./helpers/eventually.js";

interface Seen {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

const ACTOR: ActorIdentity = { key: "MHTTPCLIENTACTOR", issuer: "AISSUER", caps: ["wascc:http_client"] };
const SECRET = "Bearer s3cret-token-42";
const STREAM_TOTAL = 64 * 1024 * 1024;
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

/** A recording fastify server; `routes` adds what a test needs beyond the catch-all echo. */
async function target(name: string, routes: (app: FastifyInstance) => void = () => {}): Promise<{ app: FastifyInstance; port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  const app = Fastify({ logger: false, forceCloseConnections: true });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, done) => done(null, body));
  app.addHook("onRequest", async (request) => {
    seen.push({ method: request.method, url: request.url, headers: request.headers, body: "" });
  });
  app.addHook("preHandler", async (request) => {
    seen.at(-1)!.body = request.body instanceof Buffer ? request.body.toString() : "";
  });
  routes(app);
  app.all("/*", async (request, reply) => reply.header("x-from", name).send({ from: name, ...seen.at(-1) }));
  await app.listen({ port: 0, host: "127.0.0.1" });
  const address = app.server.address();
  return { app, port: typeof address === "object" && address ? address.port : 0, seen };
}

const FAKE_DNS = new Set(["api.example.com", "b.example.com", "rebind.example.com"]);
const lookups: string[] = [];
const logLines: string[] = [];
const provider = new HttpClientProvider({
  resolve: async (hostname) => {
    lookups.push(hostname);
    return FAKE_DNS.has(hostname) ? [{ address: "127.0.0.1", family: 4 }] : lookup(hostname, { all: true });
  },
});

let a: Awaited<ReturnType<typeof target>>;
let b: Awaited<ReturnType<typeof target>>;
let streamed = { generated: 0, aborted: false };

beforeAll(async () => {
  await provider.start({
    logger: pino({ level: "trace" }, { write: (line: string) => void logLines.push(line) }),
    deliver: () => Promise.reject(new Error("no deliveries")),
  });
  a = await target("a", (app) => {
    app.get("/declared/:n", async (request, reply) => reply.send(Buffer.alloc(Number((request.params as { n: string }).n), 120)));
    app.get("/stream", async (_request, reply) => {
      streamed = { generated: 0, aborted: false };
      reply.raw.on("close", () => void (streamed.aborted = !reply.raw.writableFinished));
      const chunk = Buffer.alloc(64 * 1024, 121);
      return reply.send(
        Readable.from(
          (function* () {
            while (streamed.generated < STREAM_TOTAL) {
              streamed.generated += chunk.length;
              yield chunk;
            }
          })(),
        ),
      );
    });
    app.get("/slow", async (_request, reply) => {
      await new Promise((resolve) => setTimeout(resolve, 3000));
      return reply.send("late");
    });
    // Headers at once, then a declared 20-byte body one byte per 50 ms: only the whole-exchange deadline stops it.
    app.get("/trickle", (_request, reply) => {
      reply.raw.writeHead(200, { "content-length": "20" });
      let sent = 0;
      const timer = setInterval(() => {
        if (reply.raw.destroyed || sent === 20) return clearInterval(timer);
        reply.raw.write("x");
        sent++;
      }, 50);
    });
    app.all("/redirect", async (request, reply) => {
      const query = request.query as { to: string; code?: string };
      return reply
        .code(Number(query.code ?? 302))
        .header("location", query.to)
        .send();
    });
    app.get("/loop/:n", async (request, reply) => reply.redirect(`/loop/${Number((request.params as { n: string }).n) + 1}`, 302));
  });
  b = await target("b");
});

afterAll(async () => {
  await provider.stop();
  await Promise.all([a?.app.close(), b?.app.close()]);
});

beforeEach(() => {
  a.seen.length = 0;
  b.seen.length = 0;
});

async function call(values: Record<string, string>, url: string, method = "GET", header: Record<string, string> = {}, body = ""): Promise<HttpClientResponse> {
  await provider.bind(ACTOR, "default", values);
  const payload = encodeHttpClientRequest({ method, url, header, body: new TextEncoder().encode(body) });
  return decodeHttpClientResponse(await provider.handleCall({ actor: ACTOR, binding: "default", operation: "Request", payload }));
}

/** The catalog code and detail a call fails with (fails the test when it succeeds). */
async function failure(
  values: Record<string, string>,
  url: string,
  method = "GET",
  header: Record<string, string> = {},
): Promise<{ code: string; detail: string }> {
  const err = await call(values, url, method, header).then(
    (res) => expect.unreachable(`succeeded with ${res.statusCode}`),
    (e: unknown) => e,
  );
  if (!isWactorError(err)) throw err;
  return { code: err.code, detail: err.detail ?? "" };
}

const A = (): string => `127.0.0.1:${a.port}`;

describe("requests and responses", () => {
  it("GET and POST round-trip method, headers and body; the response keeps status, headers and body", async () => {
    const got = await call({ ALLOWED_HOSTS: A() }, `http://${A()}/echo?x=1`, "GET", { "X-Custom": "yes" });
    expect(got.statusCode).toBe(200);
    expect(got.status).toBe("OK");
    expect(got.header["x-from"]).toBe("a");
    expect(JSON.parse(text(got.body))).toMatchObject({ method: "GET", url: "/echo?x=1", headers: { "x-custom": "yes" } });

    const posted = await call({ ALLOWED_HOSTS: A() }, `http://${A()}/submit`, "post", { "content-type": "text/plain", host: "evil.test" }, "hello body");
    expect(JSON.parse(text(posted.body))).toMatchObject({
      method: "POST",
      url: "/submit",
      body: "hello body",
      headers: { "content-type": "text/plain", host: A() },
    });
    expect(a.seen).toHaveLength(2);
  });

  it("rejects payloads it will not send, naming the field, before anything is sent", async () => {
    await provider.bind(ACTOR, "default", { ALLOWED_HOSTS: "*" });
    const bad = async (fields: Record<string, unknown>): Promise<string> => {
      const { encode } = await import("../src/codec/mod.js");
      return provider.handleCall({ actor: ACTOR, binding: "default", operation: "Request", payload: encode(fields) }).then(
        () => "sent",
        (e: Error) => `${(e as { code?: string }).code}: ${e.message}`,
      );
    };
    expect(await bad({ method: "GET" })).toMatch(/WACTOR_ERR_BAD_PAYLOAD.*field 'url' must be present/);
    expect(await bad({ url: `http://${A()}/`, method: 7 })).toMatch(/WACTOR_ERR_BAD_PAYLOAD.*field 'method' must be a string/);
    expect(await bad({ method: "GET", url: `http://${A()}/`, header: { x: 1 } })).toMatch(/field 'header.x' must be a string/);
    expect(await bad({ method: "GET", url: "ftp://files.example.com/x" })).toMatch(/scheme 'ftp' is not allowed/);
    expect(await bad({ method: "GET", url: "not a url" })).toMatch(/field 'url' must be an absolute http\(s\) URL/);
    expect(await bad({ method: "GET", url: `http://user:pw@${A()}/` })).toMatch(/must not carry credentials/);
    expect(await bad({ method: "GET", url: `http://${A()}/`, header: { "bad name": "x" } })).toMatch(/header name 'bad name'/);
    expect(await bad({ method: "GET", url: `http://${A()}/`, header: { "x-a": "1\r\nx-b: 2" } })).toMatch(/line break/);
    expect(a.seen).toHaveLength(0);
    await expect(provider.handleCall({ actor: ACTOR, binding: "default", operation: "Fetch", payload: new Uint8Array([0x80]) })).rejects.toMatchObject({
      code: "WACTOR_ERR_UNKNOWN_OPERATION",
    });
    await expect(provider.handleCall({ actor: ACTOR, binding: "other", operation: "Request", payload: new Uint8Array([0x80]) })).rejects.toMatchObject({
      code: "WACTOR_ERR_NOT_BOUND",
    });
  });

  it("a refused connection is WACTOR_ERR_HTTP_FAILED", async () => {
    const closed = await target("closed");
    const port = closed.port;
    await closed.app.close();
    expect(await failure({ ALLOWED_HOSTS: `127.0.0.1:${port}` }, `http://127.0.0.1:${port}/`)).toMatchObject({
      code: "WACTOR_ERR_HTTP_FAILED",
      detail: expect.stringContaining("ECONNREFUSED"),
    });
  });
});

describe("ALLOWED_HOSTS", () => {
  it("allows nothing by default: a clear error naming the host and the value to set, and the server receives nothing", async () => {
    const { code, detail } = await failure({}, `http://${A()}/echo`);
    expect(code).toBe("WACTOR_ERR_HTTP_HOST_NOT_ALLOWED");
    expect(detail).toContain(`host '${A()}'`);
    expect(detail).toContain("ALLOWED_HOSTS is not set");
    expect(detail).toContain("add '127.0.0.1'");
    expect(a.seen).toHaveLength(0);
  });

  it("an exact entry with a port allows that port only", async () => {
    expect((await call({ ALLOWED_HOSTS: A() }, `http://${A()}/`)).statusCode).toBe(200);
    const other = await target("other");
    try {
      expect((await failure({ ALLOWED_HOSTS: A() }, `http://127.0.0.1:${other.port}/`)).code).toBe("WACTOR_ERR_HTTP_HOST_NOT_ALLOWED");
      expect(other.seen).toHaveLength(0);
    } finally {
      await other.app.close();
    }
  });

  it("a wildcard matches subdomains (not the domain itself) but never grants a private address; an exact entry does", async () => {
    lookups.length = 0;
    const viaWildcard = await failure({ ALLOWED_HOSTS: "*.example.com" }, `http://api.example.com:${a.port}/`);
    // The wildcard let the name through; the address it resolved to was refused at connect time.
    expect(viaWildcard).toMatchObject({ code: "WACTOR_ERR_HTTP_HOST_NOT_ALLOWED", detail: expect.stringContaining("resolves to 127.0.0.1") });
    expect(lookups).toEqual(["api.example.com"]);
    expect((await failure({ ALLOWED_HOSTS: "*.example.com" }, `http://example.com:${a.port}/`)).detail).toContain("is not allowed");
    expect((await failure({ ALLOWED_HOSTS: "*.example.com" }, `http://api.example.org:${a.port}/`)).detail).toContain("is not allowed");
    expect(a.seen).toHaveLength(0);
    const exact = await call({ ALLOWED_HOSTS: "*.example.com, API.example.com" }, `http://api.example.com:${a.port}/echo`);
    expect(JSON.parse(text(exact.body))).toMatchObject({ headers: { host: `api.example.com:${a.port}` } });
    expect(a.seen).toHaveLength(1);
  });

  it("with ALLOWED_HOSTS=* every loopback, private and mapped form is still refused, and the server receives nothing", async () => {
    const port = a.port;
    for (const url of [
      `http://127.0.0.1:${port}/`,
      `http://localhost:${port}/`,
      `http://[::ffff:127.0.0.1]:${port}/`,
      `http://2130706433:${port}/`,
      `http://0.0.0.0:${port}/`,
      `http://[::1]:${port}/`,
      `http://rebind.example.com:${port}/`,
      "http://169.254.169.254/latest/meta-data",
      "http://10.0.0.1/",
      "http://192.168.1.1/",
      "http://172.16.0.1/",
      "http://[fd00::1]/",
      "http://[fe80::1]/",
    ]) {
      expect(await failure({ ALLOWED_HOSTS: "*" }, url), url).toMatchObject({
        code: "WACTOR_ERR_HTTP_HOST_NOT_ALLOWED",
        detail: expect.stringContaining("wildcard never does"),
      });
    }
    expect(a.seen).toHaveLength(0);
  });

  it("an explicitly listed IP is reached, however the URL spells it", async () => {
    expect((await call({ ALLOWED_HOSTS: "127.0.0.1" }, `http://2130706433:${a.port}/`)).statusCode).toBe(200);
    expect(a.seen).toHaveLength(1);
  });
});

describe("redirects", () => {
  it("every hop is checked: a redirect to a host the binding does not allow is refused and that host receives nothing", async () => {
    const to = encodeURIComponent(`http://b.example.com:${b.port}/landing`);
    const refused = await failure({ ALLOWED_HOSTS: A() }, `http://${A()}/redirect?to=${to}`);
    expect(refused).toMatchObject({ code: "WACTOR_ERR_HTTP_HOST_NOT_ALLOWED", detail: expect.stringContaining(`'b.example.com:${b.port}' (redirect 1)`) });
    // Allowed by a wildcard, but it resolves to loopback: refused at connect time.
    expect((await failure({ ALLOWED_HOSTS: `${A()},*.example.com` }, `http://${A()}/redirect?to=${to}`)).detail).toContain("resolves to 127.0.0.1");
    expect(b.seen).toHaveLength(0);
    expect(a.seen).toHaveLength(2);
    // Control: listed exactly, the same redirect is followed.
    const followed = await call({ ALLOWED_HOSTS: `${A()},b.example.com` }, `http://${A()}/redirect?to=${to}`);
    expect(JSON.parse(text(followed.body))).toMatchObject({ from: "b", url: "/landing" });
    expect(b.seen).toHaveLength(1);
  });

  it("stops after MAX_REDIRECTS; MAX_REDIRECTS=0 returns the 3xx itself", async () => {
    expect((await failure({ ALLOWED_HOSTS: A(), MAX_REDIRECTS: "2" }, `http://${A()}/loop/0`)).code).toBe("WACTOR_ERR_HTTP_TOO_MANY_REDIRECTS");
    expect(a.seen.map((s) => s.url)).toEqual(["/loop/0", "/loop/1", "/loop/2"]);
    const raw = await call({ ALLOWED_HOSTS: A(), MAX_REDIRECTS: "0" }, `http://${A()}/loop/5`);
    expect(raw.statusCode).toBe(302);
    expect(raw.header.location).toBe("/loop/6");
  });

  it("a 303 after a POST becomes a GET without the body; a 307 keeps both", async () => {
    const see = await call({ ALLOWED_HOSTS: A() }, `http://${A()}/redirect?code=303&to=/after`, "POST", { "content-type": "text/plain" }, "payload");
    expect(JSON.parse(text(see.body))).toMatchObject({ method: "GET", url: "/after", body: "" });
    const keep = await call({ ALLOWED_HOSTS: A() }, `http://${A()}/redirect?code=307&to=/after`, "POST", { "content-type": "text/plain" }, "payload");
    expect(JSON.parse(text(keep.body))).toMatchObject({ method: "POST", url: "/after", body: "payload" });
  });
});

describe("limits", () => {
  it("TIMEOUT_MS bounds the whole exchange", async () => {
    expect(await failure({ ALLOWED_HOSTS: A(), TIMEOUT_MS: "200" }, `http://${A()}/slow`)).toMatchObject({
      code: "WACTOR_ERR_HTTP_TIMEOUT",
      detail: expect.stringContaining("TIMEOUT_MS=200"),
    });
    // a body that keeps coming, each byte well within the idle timeout, is still cut at TIMEOUT_MS
    expect(await failure({ ALLOWED_HOSTS: A(), TIMEOUT_MS: "300" }, `http://${A()}/trickle`)).toMatchObject({
      code: "WACTOR_ERR_HTTP_TIMEOUT",
      detail: expect.stringContaining("TIMEOUT_MS=300"),
    });
  });

  it("a body over MAX_RESPONSE_BYTES fails with a catalog code; a streamed one is cut off, not read to its end", async () => {
    expect((await call({ ALLOWED_HOSTS: A(), MAX_RESPONSE_BYTES: "1000" }, `http://${A()}/declared/1000`)).body.length).toBe(1000);
    expect(await failure({ ALLOWED_HOSTS: A(), MAX_RESPONSE_BYTES: "1000" }, `http://${A()}/declared/1001`)).toMatchObject({
      code: "WACTOR_ERR_HTTP_RESPONSE_TOO_LARGE",
      detail: expect.stringContaining("content-length 1001"),
    });
    expect(await failure({ ALLOWED_HOSTS: A(), MAX_RESPONSE_BYTES: "100000" }, `http://${A()}/stream`)).toMatchObject({
      code: "WACTOR_ERR_HTTP_RESPONSE_TOO_LARGE",
      detail: expect.stringContaining("cut off"),
    });
    await eventually(() => expect(streamed.aborted).toBe(true));
    expect(streamed.generated).toBeLessThan(STREAM_TOTAL);
  });
});

describe("AUTH_HEADER_<host>", () => {
  const values = (): Record<string, string> => ({ ALLOWED_HOSTS: `api.example.com,b.example.com`, "AUTH_HEADER_api.example.com": SECRET });

  it("goes to its host only, and not to a redirect target on another host (nor does the actor's own)", async () => {
    const direct = await call(values(), `http://api.example.com:${a.port}/echo`);
    expect(JSON.parse(text(direct.body)).headers.authorization).toBe(SECRET);
    const plain = await call(values(), `http://b.example.com:${b.port}/echo`);
    expect(JSON.parse(text(plain.body)).headers.authorization).toBeUndefined();
    const to = encodeURIComponent(`http://b.example.com:${b.port}/landing`);
    const redirected = await call(values(), `http://api.example.com:${a.port}/redirect?to=${to}`, "GET", {
      authorization: "Bearer actor-own",
      cookie: "c=1",
      "x-keep": "1",
    });
    expect(a.seen[1]!.headers.authorization).toBe(SECRET);
    expect(JSON.parse(text(redirected.body))).toMatchObject({ from: "b", headers: { "x-keep": "1" } });
    expect(b.seen.at(-1)!.headers.authorization).toBeUndefined();
    expect(b.seen.at(-1)!.headers.cookie).toBeUndefined();
  });

  it("is masked wherever values are shown, and never in a log line or error", async () => {
    expect(maskValues(values())).toEqual({ ALLOWED_HOSTS: "api.example.com,b.example.com", "AUTH_HEADER_api.example.com": "****" });
    const errors: string[] = [];
    const bindings: Array<Record<string, string>> = [
      { ...values(), MAX_REDIRECTS: "x" },
      { ALLOWED_HOSTS: "b.example.com", "AUTH_HEADER_api.example.com": SECRET },
      { ...values(), "AUTH_HEADER_*.example.com": SECRET },
    ];
    for (const bad of bindings) {
      errors.push(
        await provider.bind(ACTOR, "default", bad).then(
          () => "bound",
          (e: Error) => e.message,
        ),
      );
    }
    errors.push((await failure(values(), `http://c.example.net:${a.port}/`)).detail);
    errors.push((await failure({ ...values(), TIMEOUT_MS: "100" }, `http://api.example.com:${a.port}/slow`)).detail);
    expect(errors.slice(0, 3).every((e) => e.includes("binding's configuration values are invalid"))).toBe(true);
    const everything = [...errors, ...logLines].join("\n");
    expect(logLines.length).toBeGreaterThan(0);
    expect(everything).not.toContain("s3cret");
  });
});

describe("binding values are validated at bind", () => {
  it.each([
    [{ ALLOWED_HOSTS: "https://api.example.com/" }, "not a URL"],
    [{ ALLOWED_HOSTS: "api.*.com" }, "'*' may only stand alone"],
    [{ ALLOWED_HOSTS: "*.10.0.0.1" }, "a wildcard takes a domain"],
    [{ ALLOWED_HOSTS: "a.com,,b.com" }, "empty entry"],
    [{ ALLOWED_HOSTS: "a.com:99999" }, "not 1-65535"],
    [{ ALLOWED_HOSTS: "a b.com" }, "not a valid host"],
    [{ TIMEOUT_MS: "0" }, "TIMEOUT_MS must be at least 1"],
    [{ TIMEOUT_MS: "-5" }, "TIMEOUT_MS must be an integer"],
    [{ MAX_RESPONSE_BYTES: "1e6" }, "MAX_RESPONSE_BYTES must be an integer"],
    [{ MAX_REDIRECTS: "50" }, "MAX_REDIRECTS must be an integer from 0 to 20"],
    [{ ALLOWED_HOSTS: "a.com", "AUTH_HEADER_b.com": "Bearer x" }, "AUTH_HEADER_b.com: host 'b.com' is not in ALLOWED_HOSTS"],
    [{ ALLOWED_HOSTS: "a.com", "AUTH_HEADER_a.com": " " }, "AUTH_HEADER_a.com: the value must be"],
  ])("%j is refused: %s", async (values, why) => {
    await expect(provider.bind(ACTOR, "check", values)).rejects.toMatchObject({ code: "WACTOR_ERR_BINDING_INVALID", detail: expect.stringContaining(why) });
    expect(provider.bindingStatus(ACTOR.key, "check")).toBeUndefined();
  });

  it("accepts the documented forms, with their defaults", () => {
    const config = parseConfig({ ALLOWED_HOSTS: "api.example.com, *.example.org:8443, [::1]:8080, 10.1.2.3, *", "AUTH_HEADER_api.example.com": "Bearer x" });
    expect(config).toMatchObject({ timeoutMs: 10_000, maxResponseBytes: 1024 * 1024, maxRedirects: 5 });
    expect(config.rules).toHaveLength(5);
    expect([...config.auth.keys()]).toEqual(["api.example.com"]);
  });
});

describe("living beside Node's own fetch", () => {
  // npm undici, once loaded, installs its Agent as the process's global dispatcher, which
  // Node's built-in fetch then uses: of another major, fetch fails (a POST with
  // content-length: 0 broke every `wactor reg push`). The two majors must stay equal.
  it("npm undici has the major of the undici inside Node", async () => {
    const { createRequire } = await import("node:module");
    const { version } = createRequire(import.meta.url)("undici/package.json") as { version: string };
    expect(version.split(".")[0]).toBe(process.versions.undici?.split(".")[0]);
  });

  it("global fetch still POSTs with an explicit content-length once the provider is loaded", async () => {
    const res = await fetch(`http://${A()}/echo`, { method: "POST", headers: { "content-length": "0" } });
    expect(res.status).toBe(200);
  });
});
