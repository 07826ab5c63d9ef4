/** `wactor ctl` (the real binary) against a lattice of two `wactor up --lattice` processes. */
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeyPair } from "../src/claims/nkeys.js";
import { actor } from "./helpers/actors.js";
import { wactor } from "./helpers/cli.js";
import { eventually } from "./helpers/eventually.js";
import { freePort, startNats, type ServerHandle } from "./helpers/servers.js";
import { startUp, stopUp, waitForOutput, type UpProcess } from "./helpers/up-process.js";

const BIN = fileURLToPath(new URL("../bin/wactor.js", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "wactor-ctl-"));
const seed = KeyPair.create("cluster").seed;
const echo = actor("echo");

describe("wactor ctl", () => {
  let nats: ServerHandle;
  let edge: UpProcess;
  let compute: UpProcess;
  const ctl = (...args: string[]) => wactor(["ctl", ...args, "--lattice", nats.url]);
  const json = <T>(...args: string[]): T => {
    const result = ctl(...args, "--json");
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    return JSON.parse(result.stdout) as T;
  };
  const idOf = (p: UpProcess) => /host=(N[A-Z2-7]{55})/.exec(p.stdout())![1]!;

  beforeAll(async () => {
    nats = await startNats({ jetstream: true });
    const file = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    const up = async (manifest: string) => {
      const p = startUp([manifest, "--lattice", nats.url, "--cluster-seed", seed, "--heartbeat-ms", "300", "--log-level", "warn"]);
      await waitForOutput(p, "lattice  default");
      return p;
    };
    edge = await up(file("edge.yaml", "labels: { role: edge }\ncapabilities: [ { id: wascc:http_server } ]\n"));
    compute = await up(file("compute.yaml", "labels: { role: compute }\n"));
  });

  afterAll(async () => {
    for (const p of [edge, compute]) if (p) await stopUp(p);
    await nats?.stop();
  });

  it("get hosts lists both hosts with their labels (table and JSON)", () => {
    const hosts = json<Array<{ id: string; labels: Record<string, string> }>>("get", "hosts");
    expect(hosts.map((h) => [h.id, h.labels.role]).sort()).toEqual([[idOf(compute), "compute"], [idOf(edge), "edge"]].sort());
    const table = ctl("get", "hosts");
    expect(table.stdout).toContain("role=edge");
    expect(table.stdout).toContain(idOf(compute));
  });

  it("starts an actor from a file on the host matching a constraint; inventory and claims show it", () => {
    const started = json<{ hostId: string; key: string }>("start", "actor", echo.signedPath, "--constraint", "role=compute", "--instances", "2");
    expect(started).toMatchObject({ hostId: idOf(compute), key: echo.publicKey });
    const inventory = json<{ actors: Array<{ key: string; instances: number; state: string }> }>("get", "inventory", idOf(compute));
    expect(inventory.actors).toEqual([expect.objectContaining({ key: echo.publicKey, instances: 2, state: "running" })]);
    const claims = json<Array<{ subject: string; caps: string[] }>>("get", "claims");
    expect(claims.find((c) => c.subject === echo.publicKey)?.caps).toEqual(["wascc:http_server"]);
  });

  it("link put answers with the provider host's verdict; traffic flows; link get masks secrets", async () => {
    const port = await freePort();
    const put = json<{ stored: boolean; validations: Array<{ hostId: string; ok: boolean }> }>("link", "put", "echo", "wascc:http_server", "--value", `PORT=${port}`, "--value", "API_TOKEN=hunter2");
    expect(put).toMatchObject({ stored: true, validations: [{ hostId: idOf(edge), ok: true }] });
    const res = await eventually(async () => {
      const r = await fetch(`http://127.0.0.1:${port}/via-ctl`);
      expect(r.status).toBe(200);
      return r;
    });
    expect(await res.json()).toMatchObject({ path: "/via-ctl" });
    const links = json<Array<{ values: Record<string, string> }>>("link", "get");
    expect(links).toEqual([expect.objectContaining({ values: { PORT: String(port), API_TOKEN: "****" } })]);
    expect(ctl("link", "get").stdout).not.toContain("hunter2");
  });

  it("link put refused by the provider's host exits 1 with the reason", async () => {
    const held = await freePort();
    const blocker = createServer().listen(held, "127.0.0.1");
    await new Promise((r) => blocker.once("listening", r)); // spawnSync below blocks this loop
    try {
      const result = ctl("link", "put", "echo", "wascc:http_server", "--binding", "second", "--value", `PORT=${held}`);
      expect(result.status).toBe(1);
      expect(result.stdout).toContain("REFUSED");
      expect(result.stdout).toContain("WACTOR_ERR_PORT_IN_USE");
    } finally {
      blocker.close();
    }
  });

  it("scales, reports an unknown host, rejects bad numbers", () => {
    expect(json("scale", "actor", "echo", "3")).toEqual([{ hostId: idOf(compute), key: echo.publicKey, instances: 3 }]);
    const unknown = ctl("get", "inventory", KeyPair.create("server").publicKey);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain("WACTOR_ERR_HOST_NOT_FOUND");
    const bad = ctl("scale", "actor", "echo", "0");
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("WACTOR_ERR_BAD_ARGUMENT");
  });

  it("watch prints events as JSON lines; link del and stop actor show up in it", async () => {
    const watcher = spawn(process.execPath, [BIN, "ctl", "watch", "--json", "--count", "2", "--lattice", nats.url], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    let errors = "";
    watcher.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    watcher.stderr.on("data", (chunk: Buffer) => (errors += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => watcher.once("exit", resolve));
    await eventually(() => expect(errors).toContain("watching lattice 'default'"));
    expect(json("link", "del", "echo", "wascc:http_server")).toMatchObject({ actorKey: echo.publicKey, binding: "default" });
    expect(json("stop", "actor", "echo")).toEqual([{ hostId: idOf(compute), key: echo.publicKey }]);
    expect(await exited).toBe(0);
    const events = output.trim().split("\n").map((line) => JSON.parse(line) as { type: string; hostId: string });
    expect(events.map((e) => e.type).sort()).toEqual(["actor_stopped", "link_deleted"]);
    expect(ctl("link", "del", "echo", "wascc:http_server").stderr).toContain("WACTOR_ERR_LINK_NOT_FOUND");
  });
});
