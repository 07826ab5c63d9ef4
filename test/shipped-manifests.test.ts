/**
 * The manifests shipped in `manifests/` (the README's first run among them) are applied as
 * they are — only ports become free ones and server URLs point at this test's own Redis and
 * NATS — and the actors answer over HTTP or messaging. Lattice examples must at least load.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Fastify from "fastify";
import { Redis } from "ioredis";
import { connect, StringCodec } from "nats";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HttpServerProvider } from "../capabilities/http-server/mod.js";
import { encode } from "../src/codec/mod.js";
import { loadAppManifest } from "../src/deploy/app-manifest.js";
import { applyHostManifest } from "../src/deploy/apply-host-manifest.js";
import { loadHostManifest, type HostManifest } from "../src/deploy/host-manifest.js";
import type { Host } from "../src/host/host.js";
import { actor } from "./helpers/actors.js";
import { eventually } from "./helpers/eventually.js";
import { startNats, startRedis, type ServerHandle } from "./helpers/servers.js";

const DIR = fileURLToPath(new URL("../manifests/", import.meta.url));
const silent = pino({ level: "silent" });

describe("shipped manifests", () => {
  let redis: ServerHandle;
  let nats: ServerHandle;
  const hosts: Host[] = [];
  const blobRoot = mkdtempSync(join(tmpdir(), "wactor-shipped-blobs-"));

  beforeAll(async () => {
    [redis, nats] = await Promise.all([startRedis(), startNats()]);
  });
  afterAll(async () => {
    for (const host of hosts) await host.shutdown();
    await Promise.all([redis?.stop(), nats?.stop()]);
    rmSync(blobRoot, { recursive: true, force: true });
  });

  /** The manifest as shipped, bound to free ports and to this test's servers. */
  async function run(name: string, allowedHosts?: string): Promise<{ host: Host; port: () => number }> {
    const shipped = await loadHostManifest(join(DIR, name));
    const manifest: HostManifest = {
      ...shipped,
      bindings: shipped.bindings.map((b) => {
        const values: Record<string, string> = { ...b.values };
        if (values.PORT) values.PORT = "0";
        if (values.URL?.startsWith("redis://")) values.URL = redis.url;
        if (values.URL?.startsWith("nats://")) values.URL = nats.url;
        if (values.ROOT) values.ROOT = blobRoot;
        if (values.ALLOWED_HOSTS && allowedHosts !== undefined) values.ALLOWED_HOSTS = allowedHosts;
        return { ...b, values };
      }),
    };
    const { host, actors } = await applyHostManifest(manifest, { logger: silent });
    hosts.push(host);
    const http = host.provider("wascc:http_server") as HttpServerProvider | undefined;
    return { host, port: () => http!.address(actors[0]!.key, "default")!.port };
  }

  it("echo.yaml (the README's first run) echoes a request", async () => {
    const { port } = await run("echo.yaml");
    const res = await fetch(`http://127.0.0.1:${port()}/hello?x=1`, { method: "POST", body: "hi" });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ method: "POST", path: "/hello", query_string: "x=1", body: "hi" });
  });

  it.each(["kvcounter-embedded.yaml", "kvcounter.yaml", "wascc-legacy.yaml"])("%s counts", async (name) => {
    const { port } = await run(name);
    for (let i = 1; i <= 3; i++) expect(await (await fetch(`http://127.0.0.1:${port()}/counter`)).json()).toEqual({ counter: i });
  });

  it("messaging.yaml answers a request on its subscription", async () => {
    await run("messaging.yaml");
    const nc = await connect({ servers: nats.url });
    try {
      const sc = StringCodec();
      const reply = await nc.request("demo.hello", sc.encode("ping"), { timeout: 5000 });
      expect(sc.decode(reply.data)).toBe("reply:ping");
    } finally {
      await nc.close();
    }
  });

  it("storage.yaml stores a blob and delivers an event written to its stream", async () => {
    const { host } = await run("storage.yaml");
    await host.invoke(actor("blobber").publicKey, "Upload", encode({ container: "demo", id: "a.bin", size: 3_000_000, chunkSize: 1_048_576, seed: 1 }));
    expect(existsSync(join(blobRoot, "demo", "a.bin")) && statSync(join(blobRoot, "demo", "a.bin")).size).toBe(3_000_000);
    await host.invoke(actor("eventwriter").publicKey, "Write", encode({ stream: "orders", n: "7" }));
    const client = new Redis(redis.url);
    try {
      await eventually(async () => expect(await client.get("reader:seen:7")).toBe("1"));
    } finally {
      client.disconnect();
    }
  });

  it("fetcher.yaml fetches an allowed URL through wascc:http_client and refuses the rest", async () => {
    const upstream = Fastify({ logger: false });
    upstream.get("/page", async () => "upstream page");
    await upstream.listen({ port: 0, host: "127.0.0.1" });
    try {
      const address = upstream.server.address();
      const origin = `127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
      const { port } = await run("fetcher.yaml", origin);
      const fetched = await fetch(`http://127.0.0.1:${port()}/?url=${encodeURIComponent(`http://${origin}/page`)}`);
      expect(fetched.status).toBe(200);
      expect(await fetched.text()).toBe("upstream page");
      const refused = await fetch(`http://127.0.0.1:${port()}/?url=${encodeURIComponent("http://127.0.0.1:9/")}`);
      expect(refused.status).toBe(502);
      expect(await refused.text()).toContain("WACTOR_ERR_HTTP_HOST_NOT_ALLOWED");
    } finally {
      await upstream.close();
    }
  });

  it("runnables.yaml serves the example runnables (test/runnable-examples-cli.test.ts runs it under wactor up)", async () => {
    const { host, port } = await run("runnables.yaml");
    expect(await (await fetch(`http://127.0.0.1:${port()}/`, { method: "POST", body: "runnable" })).text()).toBe("runnable");
    const http = host.provider("wascc:http_server") as HttpServerProvider;
    const fail = http.address(host.resolveActor("fail")!, "default")!.port;
    expect((await fetch(`http://127.0.0.1:${fail}/`, { method: "POST", body: "418 teapot" })).status).toBe(418);
  });

  it("covers every host manifest in manifests/, and the lattice examples load", async () => {
    const tested = [
      "echo.yaml",
      "kvcounter-embedded.yaml",
      "kvcounter.yaml",
      "wascc-legacy.yaml",
      "messaging.yaml",
      "storage.yaml",
      "fetcher.yaml",
      "runnables.yaml",
    ];
    expect(
      readdirSync(DIR)
        .filter((f) => f.endsWith(".yaml"))
        .sort(),
    ).toEqual([...tested].sort());
    for (const name of readdirSync(join(DIR, "lattice"))) {
      const file = join(DIR, "lattice", name);
      if (name.startsWith("app-")) expect((await loadAppManifest(file)).name).toBeTruthy();
      else expect((await loadHostManifest(file)).labels.role).toBeTruthy();
    }
  });
});
