/**
 * A waPC actor as a step of a Directive, next to runnables: it serves the `Job` operation, so
 * it sees the request (method, URI, params) and the state, its output lands in the state under
 * its key, its response headers are merged, and its RunErr goes through onErr like a
 * runnable's. The actor (test/fixtures/job-actor) is compiled here with the actors/sdk.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BundleRunner } from "../src/bundle/run/bundle-runner.js";
import { Host } from "../src/host/host.js";
import { loadedBundle, xDirective } from "./helpers/bundles.js";

const SOURCE = fileURLToPath(new URL("./fixtures/job-actor/index.ts", import.meta.url));
// The compiler runs in its own process: inside the test runner it is several times slower.
const ASC = fileURLToPath(new URL("../node_modules/assemblyscript/bin/asc.js", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "wactor-job-actor-"));
const host = new Host({ logger: pino({ level: "silent" }) });
let runner: BundleRunner;
let base: string;

beforeAll(async () => {
  const out = join(dir, "stamp.wasm");
  await promisify(execFile)(process.execPath, [ASC, SOURCE, "-o", out, "--runtime", "incremental", "-O3"], { timeout: 90_000 });
  const bundle = await loadedBundle({
    directive: xDirective(
      `handlers:
  - type: request
    method: POST
    resource: "/stamp/:who"
    steps:
      - { fn: helloworld-rs, as: greeting }
      - fn: stamp
      - fn: fields
  - type: request
    method: POST
    resource: "/tolerant/:who"
    steps:
      - { fn: stamp, onErr: { code: { 404: continue }, other: return } }
`,
      ["helloworld-rs", "stamp", "fields"],
    ),
    modules: { "helloworld-rs": "helloworld-rs", stamp: new Uint8Array(readFileSync(out)), fields: "fields" },
  });
  runner = new BundleRunner(host, bundle, { http: { port: 0 } });
  base = `http://127.0.0.1:${(await runner.start()).address!.port}`;
}, 120_000);

afterAll(async () => {
  await runner.stop();
  await host.shutdown();
  rmSync(dir, { recursive: true, force: true });
});

describe("a waPC actor as a step", () => {
  it("sees the request and the state; its output is state for the next step; its headers reach the response", async () => {
    const r = await fetch(`${base}/stamp/ann?state=stamp`, { method: "POST", body: "world" });
    expect(r.status).toBe(200);
    expect(r.headers.get("x-actor")).toBe("stamp");
    const seen = (await r.json()) as { state: string };
    expect(seen.state).toBe("POST /stamp/ann?state=stamp ann: hello world");
  });

  it("its RunErr returns with its code, or is stored by onErr continue", async () => {
    const returned = await fetch(`${base}/stamp/nobody`, { method: "POST", body: "x" });
    expect([returned.status, await returned.json()]).toEqual([404, { status: 404, message: "no such person" }]);
    const continued = await fetch(`${base}/tolerant/nobody`, { method: "POST" });
    expect([continued.status, await continued.text()]).toEqual([200, '{"code":404,"message":"no such person"}']);
  });
});
