/**
 * `wactor up --lattice` as real processes: an actor-only host and an edge host (HTTP and
 * key-value providers) form one lattice; the edge's manifest bindings become links that
 * reach the actor on the other host. A refused binding fails startup and leaves nothing open.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { KeyPair } from "../src/claims/nkeys.js";
import { ControlClient } from "../src/lattice/mod.js";
import { actor } from "./helpers/actors.js";
import { eventually } from "./helpers/eventually.js";
import { freePort, startNats, startRedis, type ServerHandle } from "./helpers/servers.js";
import { startUp, stopUp, waitForOutput, type UpProcess } from "./helpers/up-process.js";

const dir = mkdtempSync(join(tmpdir(), "wactor-lattice-up-"));
const seed = KeyPair.create("cluster").seed;

function manifest(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe("wactor up --lattice", () => {
  let nats: ServerHandle;
  let redis: ServerHandle;
  const running: UpProcess[] = [];

  beforeAll(async () => {
    [nats, redis] = await Promise.all([startNats({ jetstream: true }), startRedis()]);
  });

  afterAll(async () => {
    for (const up of running) await stopUp(up);
    await Promise.all([nats?.stop(), redis?.stop()]);
  });

  const up = (file: string): UpProcess => {
    const process = startUp([file, "--lattice", nats.url, "--cluster-seed", seed, "--heartbeat-ms", "200", "--log-level", "warn"]);
    running.push(process);
    return process;
  };

  it("an edge host's bindings reach an actor on another host; both drain and exit 0", async () => {
    const kvcounter = actor("kvcounter");
    const port = await freePort();
    const compute = up(manifest("compute.yaml", `labels: { role: compute }\nactors:\n  - ${kvcounter.signedPath}\n`));
    await waitForOutput(compute, "lattice  default");
    const edge = up(
      manifest(
        "edge.yaml",
        [
          "labels: { role: edge }",
          "capabilities:",
          "  - { id: wascc:http_server }",
          "  - { id: wascc:keyvalue }",
          "bindings:",
          `  - { actor: ${kvcounter.publicKey}, capability: wascc:http_server, values: { PORT: "${port}" } }`,
          `  - { actor: ${kvcounter.publicKey}, capability: wascc:keyvalue, values: { URL: "${redis.url}", KEY_PREFIX: "up:" } }`,
          "",
        ].join("\n"),
      ),
    );
    await waitForOutput(edge, "lattice  default");
    expect(edge.stdout()).toMatch(/host=N[A-Z2-7]{55}/);
    const counts = await eventually(async () => {
      const res = await fetch(`http://127.0.0.1:${port}/hits`);
      expect(res.status).toBe(200);
      return (await res.json()) as { counter: number };
    });
    expect(counts.counter).toBeGreaterThanOrEqual(1);
    const redisClient = new Redis(redis.url);
    try {
      expect(Number(await redisClient.get("up::hits"))).toBe(counts.counter);
    } finally {
      redisClient.disconnect();
    }
    expect(await stopUp(edge)).toBe(0);
    expect(await stopUp(compute)).toBe(0);
    expect(compute.stdout()).toContain("wactor: stopped");
  });

  it("a binding refused by the provider's host fails startup with the reason, leaving no port open", async () => {
    const echo = actor("echo");
    const held = await freePort();
    const blocker = createServer().listen(held, "127.0.0.1");
    const free = await freePort();
    try {
      const bad = up(
        manifest(
          "bad.yaml",
          [
            "actors:",
            `  - ${echo.signedPath}`,
            "capabilities:",
            "  - { id: wascc:http_server }",
            "bindings:",
            `  - { actor: echo, capability: wascc:http_server, binding: first, values: { PORT: "${free}" } }`,
            `  - { actor: echo, capability: wascc:http_server, binding: second, values: { PORT: "${held}" } }`,
            "",
          ].join("\n"),
        ),
      );
      expect(await bad.exited).not.toBe(0);
      expect(bad.stderr()).toContain("WACTOR_ERR_BINDING_FAILED");
      expect(bad.stderr()).toContain("WACTOR_ERR_PORT_IN_USE");
      await expect(fetch(`http://127.0.0.1:${free}/`)).rejects.toThrow();
      // The binding that was accepted before the refusal is taken back from the lattice too.
      const client = await ControlClient.connect({ url: nats.url });
      try {
        expect((await client.getLinks()).filter((l) => l.actorKey === echo.publicKey)).toEqual([]);
      } finally {
        await client.close();
      }
    } finally {
      blocker.close();
    }
  });
});
