/**
 * The example runnables from the command line, as real CLI processes: `wactor up` on the shipped
 * manifests/runnables.yaml (ports made free ones, ALLOWED_HOSTS pointed at a local fastify
 * server) serving each over HTTP, and `wactor call <runnable.wasm> run --raw …|--data @file`
 * for echo, return_error and fetch.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { wactorAsync } from "./helpers/cli.js";
import { eventually } from "./helpers/eventually.js";
import { runnable } from "./helpers/runnables.js";
import { startLocalWeb, type LocalWeb } from "./helpers/runnable-world.js";
import { freePort } from "./helpers/servers.js";
import { startUp, stopUp, waitForOutput, type UpProcess } from "./helpers/up-process.js";

const CLI_MS = 240_000;
const SHIPPED = fileURLToPath(new URL("../manifests/runnables.yaml", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "wactor-runnables-cli-"));

interface Manifest {
  actors: Array<string | { path: string }>;
  bindings: Array<{ actor: string; capability: string; values?: Record<string, string> }>;
}

/** The shipped manifest with absolute paths, free ports and the local server allowed; the port of each runnable. */
async function localCopy(web: LocalWeb): Promise<{ file: string; ports: Record<string, number> }> {
  const manifest = parse(readFileSync(SHIPPED, "utf8")) as Manifest;
  const absolute = (path: string) => resolve(dirname(SHIPPED), path);
  manifest.actors = manifest.actors.map((a) => (typeof a === "string" ? absolute(a) : { ...a, path: absolute(a.path) }));
  const ports: Record<string, number> = {};
  for (const b of manifest.bindings) {
    if (b.values?.PORT) b.values.PORT = String((ports[b.actor] = await freePort()));
    if (b.values?.ALLOWED_HOSTS) b.values.ALLOWED_HOSTS = web.origin;
  }
  const file = join(dir, "runnables.yaml");
  writeFileSync(file, stringify(manifest));
  return { file, ports };
}

describe("wactor up manifests/runnables.yaml", () => {
  let web: LocalWeb;
  let up: UpProcess;
  let url: (name: string) => string;

  beforeAll(async () => {
    web = await startLocalWeb();
    const { file, ports } = await localCopy(web);
    url = (name) => `http://127.0.0.1:${ports[name]}`;
    up = startUp([file, "--log-level", "debug"]);
    await waitForOutput(up, "wactor host ready", CLI_MS);
  }, CLI_MS);
  afterAll(async () => {
    if (up) expect(await stopUp(up)).toBe(0);
    await web?.app.close();
  });

  const post = (name: string, path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${url(name)}${path}`, { method: "POST", body, headers });

  it("echo, fields and headers answer over HTTP as the contract says", async () => {
    expect(await (await post("echo", "/", "served by up")).text()).toBe("served by up");
    const fields = await (await post("fields", "/a/b?message=hi", '{"username":"ann"}', { "X-Test": "yes" })).json();
    expect(fields).toMatchObject({ method: "POST", url: "/a/b?message=hi", bodyField: "ann", header: "yes", query: "hi", param: "", state: "" });
    const headers = await post("headers", "/", "");
    expect([headers.headers.get("x-runnable"), await headers.text()]).toEqual(["headers", '{"ok":true}']);
  });

  it("cache, fetch and graphql reach the embedded store and the local server", async () => {
    expect(await (await post("cache", "/?key=k&value=stored&ttl=60", "")).text()).toBe("stored");
    const before = web.seen.length;
    expect(await (await post("fetch", "/", `${web.base}/from-up`)).json()).toEqual({ get: "GET /from-up ", post: "POST /from-up posted" });
    expect(await (await post("graphql", "/", `${web.base}/graphql\n{ hello }`)).json()).toMatchObject({ data: { hello: "world" } });
    expect(web.seen.slice(before).map((s) => `${s.method} ${s.url} ${s.headers["x-runnable"] ?? "-"}`)).toEqual([
      "GET /from-up fetch",
      "POST /from-up fetch",
      "POST /graphql -",
    ]);
  });

  it("logger: a line per level in the host's log; fail: return_error's code is the status; wasi-hello ran _start", async () => {
    expect(await (await post("logger", "/", "from-up")).text()).toBe("logged");
    // The lines reach this process through the child's stdout pipe: they may trail the response.
    await eventually(() => {
      const levels = `${up.stdout()}${up.stderr()}`
        .split("\n")
        .filter((l) => l.includes(' from-up"'))
        .map((l) => JSON.parse(l) as { level: number; msg: string })
        .map((l) => `${l.level} ${l.msg}`);
      expect(levels).toEqual(["50 error from-up", "40 warn from-up", "30 info from-up", "20 debug from-up"]);
    });
    const failed = await post("fail", "/", "418 teapot");
    expect([failed.status, await failed.json()]).toEqual([418, { status: 418, message: "teapot" }]);
    expect(await (await post("wasi-hello", "/", "up")).text()).toBe("hello up");
    await eventually(() => expect(`${up.stdout()}${up.stderr()}`).toContain("wasi-hello started"));
  });

  it("set-field, abort, no-result and the Swift and init shapes", async () => {
    expect(await (await post("set-field", "/", '{"a":1}')).json()).toMatchObject({
      header: "header-value",
      method: "PATCH",
      bodyField: "body-value",
      queryError: "invalid field type",
    });
    const aborted = await post("abort", "/", "");
    expect([aborted.status, await aborted.json()]).toEqual([
      500,
      { status: 500, message: "runnable abort: runnable gave up; file: actors/runnables/abort/index.ts, line: 7, col: 30" },
    ]);
    const empty = await post("no-result", "/", "x");
    expect([empty.status, await empty.text()]).toEqual([200, ""]);
    expect(await (await post("wasi-hello-swift", "/", "swift")).text()).toBe("hello swift");
    expect(await (await post("legacy-init", "/", "init")).text()).toBe("hello init");
  });
});

describe("wactor call <runnable.wasm> run", () => {
  let web: LocalWeb;

  beforeAll(async () => {
    web = await startLocalWeb();
  });
  afterAll(() => web?.app.close());

  it(
    "echo prints its input as it is, from --raw and from --data @file",
    async () => {
      expect(await wactorAsync(["call", runnable("echo").signedPath, "run", "--raw", "raw input"], { timeoutMs: CLI_MS })).toMatchObject({
        status: 0,
        stdout: "raw input",
      });
      writeFileSync(join(dir, "input.bin"), "file input\nsecond line");
      expect(await wactorAsync(["call", runnable("echo").signedPath, "run", "--data", `@${join(dir, "input.bin")}`], { timeoutMs: CLI_MS })).toMatchObject({
        status: 0,
        stdout: "file input\nsecond line",
      });
    },
    CLI_MS,
  );

  it(
    "return_error is printed in catalog form with the RunErr, and the exit status is not 0",
    async () => {
      const failed = await wactorAsync(["call", runnable("fail").signedPath, "run", "--raw", "422 unprocessable"], { timeoutMs: CLI_MS });
      expect(failed.status).not.toBe(0);
      expect(failed.stderr).toContain("WACTOR_ERR_RUNNABLE_ERROR");
      expect(failed.stderr).toContain('{"code":422,"message":"unprocessable"}');
      const atmo = await wactorAsync(["call", runnable("return-err").signedPath, "run", "--raw", ""], { timeoutMs: CLI_MS });
      expect(atmo.stderr).toContain('{"code":400,"message":"job failed"}');
    },
    CLI_MS,
  );

  it(
    "fetch through wascc:http_client from a --manifest reaches the local server; without the manifest it is not enabled",
    async () => {
      const manifest = join(dir, "fetch.yaml");
      writeFileSync(
        manifest,
        stringify({
          actors: [runnable("fetch").signedPath],
          capabilities: [{ id: "wascc:http_client" }],
          bindings: [{ actor: "fetch", capability: "wascc:http_client", values: { ALLOWED_HOSTS: web.origin } }],
        }),
      );
      writeFileSync(join(dir, "url.txt"), `${web.base}/from-call`);
      const before = web.seen.length;
      const fetched = await wactorAsync(["call", "fetch", "run", "--manifest", manifest, "--data", `@${join(dir, "url.txt")}`], { timeoutMs: CLI_MS });
      expect(fetched).toMatchObject({ status: 0 });
      expect(JSON.parse(fetched.stdout)).toEqual({ get: "GET /from-call ", post: "POST /from-call posted" });
      expect(web.seen.slice(before).map((s) => `${s.method} ${s.url}`)).toEqual(["GET /from-call", "POST /from-call"]);
      const unbound = await wactorAsync(["call", runnable("fetch").signedPath, "run", "--raw", `${web.base}/never`], { timeoutMs: CLI_MS });
      expect(unbound.status).not.toBe(0);
      expect(unbound.stderr).toContain('{"code":500,"message":"capability is not enabled"}');
      expect(web.seen.some((s) => s.url === "/never")).toBe(false);
    },
    CLI_MS,
  );
});
