/**
 * `wactor up <app.wasm.zip>` as a real process: a bundle built and signed with the CLI is
 * served alone (routes, shared cache, outbound HTTP only to --allow-host hosts); an unsigned
 * bundle is refused naming `wactor bundle sign`; flags of the other kind of `up` are refused.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeyPair } from "../src/claims/nkeys.js";
import { wactor } from "./helpers/cli.js";
import { runnable } from "./helpers/runnables.js";
import { startUp, stopUp, waitForOutput, type UpProcess } from "./helpers/up-process.js";

const dir = mkdtempSync(join(tmpdir(), "wactor-up-bundle-"));
const account = KeyPair.create("account");
let internet: FastifyInstance;
let internetHost: string;

const DIRECTIVE = `identifier: com.example.cli
appVersion: v0.1.0
atmoVersion: v0.4.0
handlers:
  - type: request
    method: POST
    resource: /hello
    steps:
      - fn: helloworld-rs
      - group:
          - { fn: modify-url, with: { url: helloworld-rs }, as: url }
          - { fn: set-array, as: echo }
      - { fn: fields, with: { url: url } }
  - { type: request, method: POST, resource: "/set/:key", steps: [ { fn: cache-set } ] }
  - { type: request, method: GET, resource: "/get/:key", steps: [ { fn: cache-get } ] }
  - { type: request, method: POST, resource: /fetch, steps: [ { fn: fetch } ] }
`;

function upAndWait(args: string[]): Promise<{ up: UpProcess; base: string }> {
  const up = startUp(args);
  return waitForOutput(up, "listening http://").then(() => ({ up, base: /listening (http:\/\/[^/]+)\//.exec(up.stdout())![1]! }));
}

beforeAll(async () => {
  internet = Fastify();
  internet.all("/*", async (request) => `internet ${request.method}`);
  await internet.listen({ port: 0, host: "127.0.0.1" });
  internetHost = `127.0.0.1:${(internet.server.address() as { port: number }).port}`;
  const project = join(dir, "project");
  mkdirSync(project);
  writeFileSync(join(project, "Directive.yaml"), DIRECTIVE);
  for (const name of ["helloworld-rs", "modify-url", "set-array", "fields", "cache-set", "cache-get", "fetch"])
    copyFileSync(runnable(name).path, join(project, `${name}.wasm`));
  writeFileSync(join(dir, "issuer.nk"), `${account.seed}\n`);
  expect(wactor(["bundle", "build", project, "-o", join(dir, "app.wasm.zip")]).status).toBe(0);
  const signed = wactor([
    "bundle",
    "sign",
    join(dir, "app.wasm.zip"),
    "-o",
    join(dir, "signed.wasm.zip"),
    "--issuer",
    join(dir, "issuer.nk"),
    "--cap",
    "wascc:logging",
    "--cap",
    "cache-set=wascc:keyvalue",
    "--cap",
    "cache-get=wascc:keyvalue",
    "--cap",
    "fetch=wascc:http_client",
  ]);
  expect(signed.status).toBe(0);
}, 60_000);

afterAll(async () => {
  await internet.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("wactor up <bundle.wasm.zip>", () => {
  it("serves the signed bundle: a 3-step route, one cache across handlers, then stops on SIGTERM", async () => {
    const { up, base } = await upAndWait([join(dir, "signed.wasm.zip"), "--port", "0", "--log-level", "warn"]);
    try {
      expect(up.stdout()).toContain("app      com.example.cli v0.1.0");
      expect(up.stdout()).toContain("route    POST /hello");
      const r = await fetch(`${base}/hello?state=url`, { method: "POST", body: "" });
      expect(r.status).toBe(200);
      expect(await r.json()).toMatchObject({ method: "POST", state: "hello /suborbital" });
      expect((await fetch(`${base}/set/k`, { method: "POST", body: "v1" })).status).toBe(200);
      expect(await (await fetch(`${base}/get/k`)).text()).toBe("v1");
    } finally {
      expect(await stopUp(up)).toBe(0);
    }
    expect(up.stdout()).toContain("wactor: stopped");
  });

  it("lets functions reach only the hosts given with --allow-host", async () => {
    const closed = await upAndWait([join(dir, "signed.wasm.zip"), "--port", "0", "--log-level", "warn"]);
    try {
      const denied = await fetch(`${closed.base}/fetch`, { method: "POST", body: `http://${internetHost}/x` });
      expect(denied.status).toBe(500);
      expect(await denied.text()).toContain("WACTOR_ERR_HTTP_HOST_NOT_ALLOWED");
    } finally {
      await stopUp(closed.up);
    }
    const open = await upAndWait([join(dir, "signed.wasm.zip"), "--port", "0", "--allow-host", internetHost, "--log-level", "warn"]);
    try {
      const allowed = await fetch(`${open.base}/fetch`, { method: "POST", body: `http://${internetHost}/x` });
      expect([allowed.status, await allowed.json()]).toEqual([200, { get: "internet GET", post: "internet POST" }]);
    } finally {
      await stopUp(open.up);
    }
  });

  it("--headless serves every function at its own route and lists them", async () => {
    const { up, base } = await upAndWait([join(dir, "signed.wasm.zip"), "--port", "0", "--headless", "--log-level", "warn"]);
    try {
      expect(up.stdout()).toContain("route    POST /com.example.cli/default/helloworld-rs/v0.1.0");
      const r = await fetch(`${base}/com.example.cli/default/helloworld-rs/v0.1.0`, { method: "POST", body: "x" });
      expect([r.status, await r.text()]).toEqual([200, "hello x"]);
      expect(r.headers.get("x-atmo-requestid")).toBeTruthy();
    } finally {
      await stopUp(up);
    }
  });

  it("refuses a bad --step-timeout or --port before anything starts", () => {
    const timeout = wactor(["up", join(dir, "signed.wasm.zip"), "--step-timeout", "soon"]);
    expect([timeout.status, timeout.stderr]).toEqual([1, expect.stringContaining("error[WACTOR_ERR_BAD_ARGUMENT]")]);
    const port = wactor(["up", join(dir, "signed.wasm.zip"), "--port", "99999"]);
    expect([port.status, port.stderr]).toEqual([1, expect.stringContaining("--port '99999'")]);
  });

  it("refuses an unsigned bundle, naming wactor bundle sign", () => {
    const r = wactor(["up", join(dir, "app.wasm.zip"), "--port", "0"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("error[WACTOR_ERR_BUNDLE_UNSIGNED]");
    expect(r.stderr).toContain("wactor bundle sign");
  });

  it("refuses flags that belong to the other kind of up", () => {
    const lattice = wactor(["up", join(dir, "signed.wasm.zip"), "--lattice", "nats://127.0.0.1:1"]);
    expect([lattice.status, lattice.stderr]).toEqual([1, expect.stringContaining("--lattice: a bundle is served alone")]);
    writeFileSync(join(dir, "host.yaml"), "actors: []\n");
    const port = wactor(["up", join(dir, "host.yaml"), "--port", "9"]);
    expect([port.status, port.stderr]).toEqual([1, expect.stringContaining("--port: only for a bundle")]);
  });
});
