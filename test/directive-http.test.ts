/** A Directive served over a real loopback HTTP server through the thin node:http layer. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DirectiveApp } from "../src/directive/app.js";
import { loadDirective } from "../src/directive/load.js";
import { directiveListener } from "../src/directive/node-http.js";
import { fakeRunnables, xHeader } from "./helpers/fake-runnables.js";

let server: Server;
let base: string;
const fakes = fakeRunnables();

beforeAll(async () => {
  const d = loadDirective(`${xHeader()}handlers:
  - { type: request, method: POST, resource: /hello, steps: [ { fn: helloworld-rs } ] }
  - { type: request, method: GET, resource: "/file/*file", steps: [ { fn: get-file } ] }
  - { type: request, method: GET, resource: /err, steps: [ { fn: return-err } ] }
`);
  server = createServer(directiveListener(new DirectiveApp(d, fakes), { maxBodyBytes: 1024 }));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("a Directive over HTTP", () => {
  it("runs the sequence with the request's body and headers", async () => {
    const r = await fetch(`${base}/hello?x=1`, { method: "POST", body: "world", headers: { "x-trace": "t1" } });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("application/octet-stream");
    expect(await r.text()).toBe("hello world");
    const call = fakes.calls.at(-1)!.request;
    expect(call).toMatchObject({ method: "POST", url: "/hello?x=1", headers: expect.objectContaining({ "X-Trace": "t1" }) });
    expect(call.headers).not.toHaveProperty("Host");
  });

  it("redirects, 404s, and answers a RunErr with its status", async () => {
    const redirect = await fetch(`${base}/file`, { redirect: "manual" });
    expect(redirect.status).toBe(301);
    expect(redirect.headers.get("location")).toBe("/file/");
    expect(await (await fetch(`${base}/file/main.md`)).text()).toBe("## hello");
    const missing = await fetch(`${base}/nothing`);
    expect([missing.status, await missing.text()]).toEqual([404, "404 page not found\n"]);
    const err = await fetch(`${base}/err`);
    expect([err.status, await err.json()]).toEqual([400, { status: 400, message: "job failed" }]);
  });

  it("refuses a body above the limit before any function runs", async () => {
    const before = fakes.calls.length;
    const r = await fetch(`${base}/hello`, { method: "POST", body: "x".repeat(2048) });
    expect(r.status).toBe(413);
    expect(fakes.calls.length).toBe(before);
  });
});
