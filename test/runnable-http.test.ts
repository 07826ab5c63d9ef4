/**
 * Runnables from the outside: serving HTTP through the wascc:http_server provider (request
 * fields, response headers, return_error as a status), and the CLI (`wactor claims inspect`
 * shows the kind, `wactor call <runnable> run`, `wactor up` with a runnable in its manifest).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HttpServerProvider } from "../capabilities/mod.js";
import { Host } from "../src/host/host.js";
import { actor } from "./helpers/actors.js";
import { wactorAsync } from "./helpers/cli.js";
import { capabilityRunnable, echoRunnable, hostileRunnable, requestRunnable, signedRunnable } from "./helpers/runnable-guests.js";
import { freePort } from "./helpers/servers.js";
import { startUp, stopUp, waitForOutput } from "./helpers/up-process.js";

const CLI_MS = 240_000;

describe("(j) a runnable serving HTTP through wascc:http_server", () => {
  const host = new Host({ logger: pino({ level: "silent" }), actorDefaults: { deadlineMs: 1000 } });
  let url = "";
  let hostileUrl = "";

  beforeAll(async () => {
    await host.addProvider(new HttpServerProvider());
    const [port, hostilePort] = [await freePort(), await freePort()];
    const request = await signedRunnable(requestRunnable(), { caps: ["wascc:http_server"] });
    const key = (await host.startActor(request.bytes)).key;
    await host.bind(key, "wascc:http_server", "default", { PORT: String(port) });
    const hostile = await signedRunnable(hostileRunnable(), { caps: ["wascc:http_server"] });
    const hostileKey = (await host.startActor(hostile.bytes)).key;
    await host.bind(hostileKey, "wascc:http_server", "default", { PORT: String(hostilePort) });
    url = `http://127.0.0.1:${port}`;
    hostileUrl = `http://127.0.0.1:${hostilePort}`;
  }, CLI_MS);
  afterAll(() => host.shutdown());

  it("request fields, field changes and response headers follow the contract", async () => {
    const res = await fetch(`${url}/hello/world?q=search&q=second`, { method: "POST", headers: { "X-Name": "ann" }, body: '{"user":"ann"}' });
    expect(res.status).toBe(200);
    const h = (name: string) => res.headers.get(name);
    expect(h("x-method")).toBe("POST");
    expect(h("x-url")).toBe("/hello/world?q=search&q=second");
    expect(h("x-id")).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(h("x-name")).toBe("ann"); // asked for as "X-Name": looked up lower-cased
    expect(h("x-q")).toBe("search"); // the first value
    expect(h("x-user")).toBe("ann");
    expect(h("x-user2")).toBe("bob"); // set_field on the body's JSON, read back
    expect(h("x-added")).toBe(""); // set keeps "X-Added" as given, get looks up "x-added": as in Reactr, not found
    expect(h("x-bad")).toBe("-1"); // an unknown field type
    expect(h("x-seterr")).toBe("invalid field type"); // query cannot be set
    expect(h("x-state")).toBe(""); // a missing key is an empty success
    expect(h("x-param")).toBe("");
    expect(await res.text()).toBe('{"user":"ann"}'); // the job's input is the body as it came
  });

  it("a body that is not JSON: body fields answer -1", async () => {
    const res = await fetch(`${url}/`, { method: "POST", body: "plain" });
    expect(res.headers.get("x-user")).toBe("-1");
  });

  it("return_error(code) becomes the status, with a JSON body", async () => {
    const res = await fetch(`${url}/`, { method: "POST", body: '{"fail":"teapot"}' });
    expect(res.status).toBe(418);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(await res.json()).toEqual({ status: 418, message: "teapot" });
  });

  it("a trap or a deadline is the usual actor failure, mapped to its status by the provider", async () => {
    expect((await fetch(`${hostileUrl}/`, { method: "POST", body: "l" })).status).toBe(504);
    expect((await fetch(`${hostileUrl}/`, { method: "POST", body: "xyz" })).status).toBe(200);
  });
});

describe("the CLI with runnables", () => {
  const dir = mkdtempSync(join(tmpdir(), "wactor-runnable-cli-"));
  const file = (name: string) => join(dir, name);

  beforeAll(async () => {
    writeFileSync(file("echo.wasm"), (await signedRunnable(echoRunnable(), { name: "echo-runnable", caps: ["wascc:http_server"] })).bytes);
    writeFileSync(file("hostile.wasm"), (await signedRunnable(hostileRunnable())).bytes);
    writeFileSync(file("input.bin"), "from a file");
  });

  it(
    "claims inspect names the kind, in text and in --json",
    async () => {
      const text = await wactorAsync(["claims", "inspect", file("echo.wasm")], { timeoutMs: CLI_MS });
      expect(text.stdout).toMatch(/Kind\s+runnable/);
      const json = await wactorAsync(["claims", "inspect", file("echo.wasm"), "--json"], { timeoutMs: CLI_MS });
      expect(JSON.parse(json.stdout)).toMatchObject({ valid: true, kind: "runnable", claims: { name: "echo-runnable" } });
      const wapc = await wactorAsync(["claims", "inspect", actor("echo").signedPath, "--json"], { timeoutMs: CLI_MS });
      expect(JSON.parse(wapc.stdout)).toMatchObject({ valid: true, kind: "actor" });
    },
    CLI_MS,
  );

  it(
    "claims sign signs a runnable as it signs an actor; call <runnable> run prints the result; a RunErr in catalog form",
    async () => {
      writeFileSync(file("plain.wasm"), echoRunnable());
      const signed = await wactorAsync(["claims", "sign", file("plain.wasm"), "-o", file("plain_s.wasm"), "--name", "signed-here"], { timeoutMs: CLI_MS });
      expect(signed.status).toBe(0);
      const raw = await wactorAsync(["call", file("plain_s.wasm"), "run", "--raw", "hello"], { timeoutMs: CLI_MS });
      expect(raw).toMatchObject({ status: 0, stdout: "hello" });
      const unsigned = await wactorAsync(["call", file("plain.wasm"), "run", "--raw", "hello"], { timeoutMs: CLI_MS });
      expect(unsigned.status).not.toBe(0);
      expect(unsigned.stderr).toContain("WACTOR_ERR_NO_CLAIMS");
      const fromFile = await wactorAsync(["call", file("echo.wasm"), "run", "--data", `@${file("input.bin")}`], { timeoutMs: CLI_MS });
      expect(fromFile.stdout).toBe("from a file");
      const failed = await wactorAsync(["call", file("hostile.wasm"), "run", "--raw", "e"], { timeoutMs: CLI_MS });
      expect(failed.status).not.toBe(0);
      expect(failed.stderr).toContain("WACTOR_ERR_RUNNABLE_ERROR");
      expect(failed.stderr).toContain('{"code":400,"message":"job failed"}');
    },
    CLI_MS,
  );

  it(
    "wactor up serves runnables listed in the manifest and bound to wascc:http_server, with their static_dir",
    async () => {
      const [port, filesPort] = [await freePort(), await freePort()];
      mkdirSync(file("public"));
      writeFileSync(file("public/page.txt"), "a static page");
      writeFileSync(file("files.wasm"), (await signedRunnable(capabilityRunnable(), { name: "files-runnable", caps: ["wascc:http_server"] })).bytes);
      writeFileSync(
        file("up.yaml"),
        `actors:\n  - ${file("echo.wasm")}\n  - { path: ./files.wasm, static_dir: ./public }\ncapabilities: [{ id: wascc:http_server }]\nbindings:\n` +
          `  - { actor: echo-runnable, capability: wascc:http_server, values: { PORT: "${port}" } }\n` +
          `  - { actor: files-runnable, capability: wascc:http_server, values: { PORT: "${filesPort}" } }\n`,
      );
      const up = startUp([file("up.yaml"), "--log-level", "warn"]);
      try {
        await waitForOutput(up, "wactor host ready", CLI_MS);
        const res = await fetch(`http://127.0.0.1:${port}/anything`, { method: "POST", body: "served" });
        expect(res.status).toBe(200);
        expect(await res.text()).toBe("served");
        // The capability runnable's 'S' op reads a static file: the manifest's static_dir, relative to it.
        const page = await fetch(`http://127.0.0.1:${filesPort}/`, { method: "POST", body: "Sstatic/page.txt" });
        expect(await page.text()).toBe("a static page");
      } finally {
        expect(await stopUp(up)).toBe(0);
      }
    },
    CLI_MS,
  );
});
