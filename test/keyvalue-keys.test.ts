/**
 * Keys reach Redis as the actor names them (docs/wascc-protocol.md §2): the waSCC counter's `:counter`
 * is the Redis key `:counter`, so data a waSCC host wrote is found, and any other Redis
 * client reads the counter by that name. KEY_PREFIX is the opt-in namespace.
 */
import { writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HttpServerProvider } from "../capabilities/http-server/mod.js";
import { applyHostManifest } from "../src/deploy/apply-host-manifest.js";
import { loadHostManifest } from "../src/deploy/host-manifest.js";
import type { Host } from "../src/host/host.js";
import { actor } from "./helpers/actors.js";
import { startRedis, type ServerHandle } from "./helpers/servers.js";

const dir = mkdtempSync(join(tmpdir(), "wactor-kvkeys-"));

describe("Redis keys as the actor names them", () => {
  let redis: ServerHandle;
  let plain: Redis;
  const hosts: Host[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    plain = new Redis(redis.url);
  });
  afterAll(async () => {
    for (const host of hosts) await host.shutdown();
    plain?.disconnect();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs kvcounter from a manifest file (waSCC form) and returns a GET of /counter. */
  async function counterHost(name: string, kvValues: string): Promise<() => Promise<unknown>> {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(
      file,
      [
        "actors:",
        `  - ${actor("kvcounter").signedPath}`,
        "capabilities:",
        "  - path: ./libwascc_httpsrv.so",
        "  - path: ./libredis_provider.so",
        "bindings:",
        `  - { actor: ${actor("kvcounter").publicKey}, capability: wascc:http_server, values: { PORT: "0" } }`,
        `  - { actor: ${actor("kvcounter").publicKey}, capability: wascc:keyvalue, values: ${kvValues} }`,
        "",
      ].join("\n"),
    );
    const { host, actors } = await applyHostManifest(await loadHostManifest(file), { logger: pino({ level: "silent" }) });
    hosts.push(host);
    const port = (host.provider("wascc:http_server") as HttpServerProvider).address(actors[0]!.key, "default")!.port;
    return async () => (await fetch(`http://127.0.0.1:${port}/counter`)).json();
  }

  it("counts under ':counter', continues data a waSCC host wrote, and a plain client reads it", async () => {
    await plain.set(":counter", "41"); // what a waSCC host left behind
    const get = await counterHost("raw", `{ URL: "${redis.url}" }`);
    expect(await get()).toEqual({ counter: 42 });
    expect(await get()).toEqual({ counter: 43 });
    expect(await plain.get(":counter")).toBe("43");
    expect((await plain.keys("*counter*")).sort()).toEqual([":counter"]);
  });

  it("KEY_PREFIX namespaces a binding for those who want it", async () => {
    const get = await counterHost("prefixed", `{ URL: "${redis.url}", KEY_PREFIX: "shop:" }`);
    expect(await get()).toEqual({ counter: 1 });
    expect(await plain.get("shop::counter")).toBe("1");
    expect(await plain.get(":counter")).toBe("43");
  });
});
