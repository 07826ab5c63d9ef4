/**
 * Host manifests listing `bundles:`: each signed bundle served by the host next to its actors,
 * with the bindings its functions need (here its cache in a real redis-server, with a key
 * prefix); entries validated with located errors; `wactor up host.yaml` shows and stops them.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyHostManifest } from "../src/deploy/apply-host-manifest.js";
import { parseHostManifest } from "../src/deploy/host-manifest.js";
import { isWactorError } from "../src/errors.js";
import { signedBundle, xDirective, type BundleSpec } from "./helpers/bundles.js";
import { startRedis, type ServerHandle } from "./helpers/servers.js";
import { startUp, stopUp, waitForOutput } from "./helpers/up-process.js";

const SPEC: BundleSpec = {
  directive: xDirective(
    `handlers:
  - { type: request, method: POST, resource: "/set/:key", steps: [ { fn: cache-set } ] }
  - { type: request, method: GET, resource: "/get/:key", steps: [ { fn: cache-get } ] }
`,
    ["cache-set", "cache-get"],
  ),
  modules: { "cache-set": "cache-set", "cache-get": "cache-get" },
  caps: ["wascc:keyvalue", "wascc:logging"],
};

const dir = mkdtempSync(join(tmpdir(), "wactor-manifest-bundles-"));
let redis: ServerHandle;

beforeAll(async () => {
  redis = await startRedis();
  writeFileSync(join(dir, "app.wasm.zip"), await signedBundle(SPEC));
}, 60_000);

afterAll(async () => {
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

function manifestError(text: string): string {
  try {
    parseHostManifest(text, "host.yaml");
  } catch (err) {
    if (isWactorError(err)) return `${err.code}: ${err.message}`;
    throw err;
  }
  throw new Error("expected a failure");
}

describe("bundles: in a host manifest", () => {
  it("parses entries with defaults, paths relative to the manifest", () => {
    const m = parseHostManifest(
      "bundles:\n  - path: app.wasm.zip\n  - { path: b.wasm.zip, port: 0, allowed_hosts: [api.example.com], cache_url: redis://127.0.0.1:6379, messaging: { URL: 'nats://127.0.0.1:4222' } }\n",
      join(dir, "host.yaml"),
    );
    expect(m.bundles).toEqual([
      { path: join(dir, "app.wasm.zip"), port: 8080, listen: "127.0.0.1", allowedHosts: [], runSchedules: true },
      {
        path: join(dir, "b.wasm.zip"),
        port: 0,
        listen: "127.0.0.1",
        allowedHosts: ["api.example.com"],
        cacheUrl: "redis://127.0.0.1:6379",
        messaging: { URL: "nats://127.0.0.1:4222" },
        runSchedules: true,
      },
    ]);
  });

  it("refuses a bad entry with its line", () => {
    expect(manifestError("bundles:\n  - port: 8080\n")).toMatch(/^WACTOR_ERR_MANIFEST: .*host\.yaml:2/);
    expect(manifestError("bundles:\n  - path: a.wasm.zip\n    cache_url: memcached://x\n")).toContain("redis://");
  });

  it("serves the bundle with its cache in Redis under the key prefix", async () => {
    const manifest = parseHostManifest(
      `bundles:\n  - { path: app.wasm.zip, port: 0, cache_url: "${redis.url}", cache_key_prefix: "app:" }\n`,
      join(dir, "host.yaml"),
    );
    const running = await applyHostManifest(manifest, { logger: pino({ level: "silent" }) });
    const client = new Redis(redis.url);
    try {
      const base = `http://127.0.0.1:${running.bundles![0]!.info!.address!.port}`;
      expect((await fetch(`${base}/set/color`, { method: "POST", body: "teal" })).status).toBe(200);
      expect(await (await fetch(`${base}/get/color`)).text()).toBe("teal");
      expect(await client.get("app:color")).toBe("teal");
    } finally {
      client.disconnect();
      for (const b of running.bundles ?? []) await b.stop();
      await running.host.shutdown();
    }
  });

  it("wactor up host.yaml serves it, shows it, and stops it on SIGTERM", async () => {
    writeFileSync(join(dir, "up.yaml"), "bundles:\n  - { path: app.wasm.zip, port: 0 }\n");
    const up = startUp([join(dir, "up.yaml"), "--log-level", "warn"]);
    try {
      await waitForOutput(up, "(bundle com.suborbital.test)");
      expect(up.stdout()).toContain("bundle   com.suborbital.test v0.0.1  functions=2");
      const base = /listening (http:\/\/[^/]+)\/ \(bundle/.exec(up.stdout())![1]!;
      expect((await fetch(`${base}/set/k`, { method: "POST", body: "v" })).status).toBe(200);
      expect(await (await fetch(`${base}/get/k`)).text()).toBe("v");
    } finally {
      expect(await stopUp(up)).toBe(0);
    }
  });
});
