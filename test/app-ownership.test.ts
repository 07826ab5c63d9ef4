/**
 * An application owns only what it made (issue 28), with real `wactor up --lattice` processes
 * on a real nats-server: a link made by hand on an application's actor is kept and served
 * (before, the reconciler deleted it within a round); what an application owns cannot be
 * changed by hand without `--force`, and with it the reconciler restores it; a second
 * application that wants the same actor is reported as a conflict naming the first, and the
 * first keeps running as it was.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeyPair } from "../src/claims/nkeys.js";
import { AppClient } from "../src/deploy/app-client.js";
import { actor } from "./helpers/actors.js";
import { wactorAsync, type CliResult } from "./helpers/cli.js";
import { eventually } from "./helpers/eventually.js";
import { freePort, startNats, type ServerHandle } from "./helpers/servers.js";
import { startUp, stopUp, waitForOutput, type UpProcess } from "./helpers/up-process.js";

const dir = mkdtempSync(join(tmpdir(), "wactor-owned-"));
const seed = KeyPair.create("cluster").seed;
const echo = actor("echo");
const file = (name: string, text: string): string => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};

describe("an application owns only what it made", { timeout: 120_000 }, () => {
  let nats: ServerHandle;
  let apps: AppClient;
  let appPort: number;
  const hosts: UpProcess[] = [];
  const ids = new Map<string, string>();

  const ctl = (args: string[]): Promise<CliResult> => wactorAsync(["ctl", ...args, "--lattice", nats.url], { timeoutMs: 30_000 });
  const app = (args: string[]): Promise<CliResult> => wactorAsync(["app", ...args, "--lattice", nats.url], { timeoutMs: 90_000 });
  const serves = async (port: number): Promise<boolean> =>
    (await fetch(`http://127.0.0.1:${port}/hello`, { signal: AbortSignal.timeout(3000) }).catch(() => undefined))?.status === 200;
  const shop = (version: string): string =>
    file(
      `shop-${version}.yaml`,
      [
        "name: shop",
        `version: "${version}"`,
        "actors:",
        `  - { source: ${echo.signedPath}, replicas: 1, instances: 1, spread: [ { labels: { role: worker } } ] }`,
        "providers:",
        "  - { capability: wascc:http_server, on: { role: edge } }",
        "links:",
        `  - { actor: echo, capability: wascc:http_server, values: { PORT: "${appPort}" } }`,
        "",
      ].join("\n"),
    );
  const linkValues = async (binding: string): Promise<Record<string, string> | undefined> =>
    (await apps.control.getLinks()).find((l) => l.actorKey === echo.publicKey && l.binding === binding)?.values;

  beforeAll(async () => {
    nats = await startNats({ jetstream: true });
    appPort = await freePort();
    for (const role of ["edge", "worker"]) {
      const p = startUp([
        file(`${role}.yaml`, `labels: { role: ${role} }\n`),
        "--lattice",
        nats.url,
        "--cluster-seed",
        seed,
        "--heartbeat-ms",
        "300",
        "--reconcile-ms",
        "300",
        "--log-level",
        "warn",
      ]);
      await waitForOutput(p, "lattice  default");
      hosts.push(p);
      ids.set(role, /host=(N[A-Z2-7]{55})/.exec(p.stdout())![1]!);
    }
    apps = await AppClient.connect({ url: nats.url });
    const deployed = await app(["deploy", shop("1")]);
    expect(deployed.stdout).toContain("deployed shop 1");
    await eventually(async () => expect(await serves(appPort)).toBe(true), { timeoutMs: 20_000 });
  });

  afterAll(async () => {
    await apps?.close();
    for (const p of hosts) await stopUp(p);
    await nats?.stop();
  });

  it("a link made by hand on the application's actor is kept, served and listed as unmanaged", async () => {
    const extraPort = await freePort();
    const put = await ctl(["link", "put", "echo", "wascc:http_server", "--binding", "extra", "--value", `PORT=${extraPort}`]);
    expect(put.stdout).toContain("stored");
    await eventually(async () => expect(await serves(extraPort)).toBe(true), { timeoutMs: 20_000 });
    // A new version makes the reconciler plan and act on the links again, with the hand-made one stored.
    const redeployed = await app(["deploy", shop("2")]);
    expect(redeployed.stdout).toContain("deployed shop 2");
    expect(await linkValues("extra")).toEqual({ PORT: String(extraPort) });
    expect(await serves(extraPort)).toBe(true);
    const listed = (await ctl(["link", "get"])).stdout.split("\n");
    expect(listed.find((l) => l.includes(" extra "))).toContain("unmanaged");
    expect(listed.find((l) => l.includes(" default "))).toContain("shop@2");
  });

  it("the application's own link, and its actor, cannot be changed by hand without --force; forced, the reconciler restores them", async () => {
    const refusedPut = await ctl(["link", "put", "echo", "wascc:http_server", "--value", "PORT=1"]);
    expect(refusedPut.status).toBe(1);
    expect(refusedPut.stderr).toContain("WACTOR_ERR_OWNED_BY_APP");
    expect(refusedPut.stderr).toContain("application 'shop'");
    expect(refusedPut.stderr).toContain("wactor app deploy");
    expect(refusedPut.stderr).toContain("--force");
    const refusedDel = await ctl(["link", "del", "echo", "wascc:http_server"]);
    expect(refusedDel.stderr).toContain("WACTOR_ERR_OWNED_BY_APP");
    for (const args of [
      ["stop", "actor", "echo"],
      ["scale", "actor", "echo", "3"],
    ]) {
      const refused = await ctl(args);
      expect(refused.status).toBe(1);
      expect(refused.stderr).toContain("WACTOR_ERR_OWNED_BY_APP");
    }
    expect(await linkValues("default")).toEqual({ PORT: String(appPort) });
    const inventory = await apps.control.getInventory(ids.get("worker")!);
    expect(inventory.actors.find((a) => a.key === echo.publicKey)).toMatchObject({ instances: 1, owner: { app: "shop" } });
    // Forced: done, and the command says the reconciler restores it.
    const forced = await ctl(["link", "del", "echo", "wascc:http_server", "--force"]);
    expect(forced.status).toBe(0);
    expect(forced.stdout).toContain("its reconciler restores it on its next round");
    await eventually(async () => expect(await linkValues("default")).toEqual({ PORT: String(appPort) }), { timeoutMs: 20_000 });
    await eventually(async () => expect(await serves(appPort)).toBe(true), { timeoutMs: 20_000 });
    const scaled = await ctl(["scale", "actor", "echo", "3", "--force"]);
    expect(scaled.stdout).toContain("restores it");
    await eventually(
      async () => expect((await apps.control.getInventory(ids.get("worker")!)).actors.find((a) => a.key === echo.publicKey)?.instances).toBe(1),
      { timeoutMs: 20_000 },
    );
  });

  it("a second application that wants the same actor with another spread is a conflict naming the first, never a fight", async () => {
    const rival = file(
      "rival.yaml",
      [
        "name: rival",
        'version: "1"',
        "actors:",
        `  - { source: ${echo.signedPath}, replicas: 1, instances: 2, spread: [ { labels: { role: edge } } ] }`,
        "",
      ].join("\n"),
    );
    const deployed = await app(["deploy", rival]);
    expect(deployed.status).toBe(1);
    expect(deployed.stderr).toContain("WACTOR_ERR_APP_CONFLICT");
    expect(deployed.stderr).toContain("'shop'");
    const status = await app(["status", "rival"]);
    expect(status.stdout).toContain("rival 1: conflict");
    expect(status.stdout).toContain("! conflict: echo: application 'shop' owns it and keeps it");
    // The first application is untouched: its replica where it was, nothing on the edge host.
    expect((await apps.status("shop")).status).toMatchObject({ phase: "deployed" });
    expect((await apps.control.getInventory(ids.get("edge")!)).actors.map((a) => a.key)).not.toContain(echo.publicKey);
    expect((await apps.control.getInventory(ids.get("worker")!)).actors.find((a) => a.key === echo.publicKey)).toMatchObject({
      instances: 1,
      owner: { app: "shop", version: "2" },
    });
    expect((await ctl(["get", "inventory", ids.get("worker")!])).stdout).toMatch(/echo .* shop@2/);
  });
});
