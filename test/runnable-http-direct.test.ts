/**
 * The http_server provider's direct path to a runnable (docs/runnables.md "Measured"): the
 * request reaches the runnable as its fields and the response comes back as its fields, with
 * the same answers as the waSCC HandleRequest payloads, the same checks at every delivery
 * (bound, and claimed: a live update that drops the claim stops deliveries), and the same
 * invocation metrics. A waPC actor behind the same provider still gets the MessagePack payload.
 * And fetch_url: on the host thread its http_client Request goes to the provider as its fields,
 * on an executor thread as its MessagePack; the answers and the refusals are the same.
 */
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HttpClientProvider, HttpServerProvider } from "../capabilities/mod.js";
import { decodeHttpResponse, encodeHttpRequest } from "../src/codec/http.js";
import { KeyPair } from "../src/claims/nkeys.js";
import { Host } from "../src/host/host.js";
import { actor } from "./helpers/actors.js";
import { echoRunnable, requestRunnable, signedRunnable } from "./helpers/runnable-guests.js";
import { startLocalWeb, type LocalWeb } from "./helpers/runnable-world.js";
import { unsignedRunnable } from "./helpers/runnables.js";

const host = new Host({ logger: pino({ level: "silent" }), actorDefaults: { deadlineMs: 5000 } });
const provider = new HttpServerProvider();
const done: Array<{ actorKey: string; operation: string; errorCode: string | undefined }> = [];
const portOf = (key: string): number => provider.address(key, "default")!.port;

let web: LocalWeb;

beforeAll(async () => {
  web = await startLocalWeb();
  await host.addProvider(provider);
  await host.addProvider(new HttpClientProvider());
  host.events.on("invocation_done", (e) => done.push({ actorKey: e.actorKey, operation: e.operation, errorCode: e.errorCode }));
}, 240_000);
afterAll(async () => {
  await host.shutdown();
  await web?.app.close();
});

describe("a runnable behind wascc:http_server, given the request as its fields", () => {
  it("answers as it does to the waSCC HandleRequest payload: status, headers and body alike", async () => {
    const { bytes } = await signedRunnable(requestRunnable(), { caps: ["wascc:http_server"] });
    const key = (await host.startActor(bytes)).key;
    await host.bind(key, "wascc:http_server", "default", { PORT: "0" });
    const res = await fetch(`http://127.0.0.1:${portOf(key)}/hello/world?q=search`, { method: "POST", headers: { "X-Name": "ann" }, body: '{"user":"ann"}' });
    const viaPayload = decodeHttpResponse(
      await host.invoke(
        key,
        "HandleRequest",
        encodeHttpRequest({
          method: "POST",
          path: "/hello/world",
          queryString: "q=search",
          header: { "x-name": "ann" },
          body: new TextEncoder().encode('{"user":"ann"}'),
        }),
      ),
    );
    expect(res.status).toBe(viaPayload.statusCode);
    const expected = Object.fromEntries(Object.entries(viaPayload.header).map(([k, v]) => [k.toLowerCase(), v]));
    expect(Object.keys(expected).length).toBeGreaterThan(5);
    // The request id is fresh for every request: made either way, not the same one.
    expect(res.headers.get("x-id")).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    for (const [name, value] of Object.entries(expected)) if (name !== "x-id") expect(res.headers.get(name)).toBe(value);
    expect(res.headers.get("x-url")).toBe("/hello/world?q=search");
    expect(await res.text()).toBe(new TextDecoder().decode(viaPayload.body));
    // Each delivery is an invocation the metrics see, whichever way it came.
    expect(done.filter((d) => d.actorKey === key).map((d) => [d.operation, d.errorCode])).toEqual([
      ["HandleRequest", undefined],
      ["HandleRequest", undefined],
    ]);
  });

  it("a live update that drops the wascc:http_server claim stops deliveries at once (the runnable never runs)", async () => {
    const subject = KeyPair.create("module");
    const first = await signedRunnable(echoRunnable(), { caps: ["wascc:http_server"], subject });
    const key = (await host.startActor(first.bytes)).key;
    await host.bind(key, "wascc:http_server", "default", { PORT: "0" });
    const url = `http://127.0.0.1:${portOf(key)}/`;
    const ok = await fetch(url, { method: "POST", body: "claimed" });
    expect([ok.status, await ok.text()]).toEqual([200, "claimed"]);
    const before = done.filter((d) => d.actorKey === key).length;
    await host.replaceActor(key, (await signedRunnable(echoRunnable(), { caps: [], subject })).bytes);
    const refused = await fetch(url, { method: "POST", body: "unclaimed" });
    expect(refused.status).toBe(500);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("WACTOR_ERR_PERMISSION_DENIED");
    expect(done.filter((d) => d.actorKey === key).length).toBe(before);
  });

  it("a waPC actor behind the same provider still gets (and answers with) the MessagePack payload", async () => {
    const key = (await host.startActor(actor("echo").signedPath)).key;
    await host.bind(key, "wascc:http_server", "default", { PORT: "0" });
    const res = await fetch(`http://127.0.0.1:${portOf(key)}/echo?x=1`, { method: "POST", body: "payload" });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("payload");
  });
});

describe("fetch_url's Request as its fields (host thread) and as its MessagePack (executor thread)", () => {
  it("gets the same answers, and the same refusals by the binding's rules, either way", async () => {
    const answers: string[][] = [];
    for (const isolation of ["metered", "executor"] as const) {
      const { bytes } = await signedRunnable(unsignedRunnable("fetch"), { caps: ["wascc:http_client"], name: `fetch-${isolation}` });
      const key = (await host.startActor(bytes, { isolation })).key;
      expect(host.actorInfo(key)?.isolation).toBe(isolation);
      await host.bind(key, "wascc:http_client", "default", { ALLOWED_HOSTS: web.origin, MAX_REDIRECTS: "2" });
      const run = (input: string): Promise<string> =>
        host.invoke(key, "run", new TextEncoder().encode(input)).then(
          (out) => new TextDecoder().decode(out),
          (err: { code?: string; detail?: string }) => `${err.code} ${err.detail}`,
        );
      const seen = web.seen.length;
      answers.push([
        await run(`${web.base}/arrives`),
        await run(`http://localhost:${web.base.split(":").at(-1)}/refused`),
        await run(`${web.base}/redirect?to=${encodeURIComponent("http://example.invalid/elsewhere")}`),
      ]);
      // Two requests of the first job and the redirect reached the server; the refused host did not.
      expect(web.seen.slice(seen).map((r) => r.url.split("?")[0])).toEqual(["/arrives", "/arrives", "/redirect"]);
    }
    const [metered, executor] = answers;
    expect(JSON.parse(metered![0]!)).toEqual({ get: "GET /arrives ", post: "POST /arrives posted" });
    expect(metered![1]).toMatch(/WACTOR_ERR_HTTP_HOST_NOT_ALLOWED: .*host 'localhost:\d+' is not allowed/);
    expect(metered![2]).toMatch(/WACTOR_ERR_HTTP_HOST_NOT_ALLOWED: .*host 'example.invalid:80' \(redirect 1\) is not allowed/);
    expect(executor).toEqual(metered);
  });
});
