/**
 * The dashboard in a real browser (Debian's chromium through playwright-core) against a real
 * lattice of two hosts: both hosts and their actors are listed; scaling an actor from the page
 * changes the host's inventory; a denied invocation shows up, highlighted, in the event stream;
 * a dashboard listening beyond loopback refuses requests without its token and works, in a
 * browser, from the address it prints.
 */
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser, type Page } from "playwright-core";
import { pino } from "pino";
import { createBuiltinProvider } from "../capabilities/mod.js";
import { KeyPair } from "../src/claims/nkeys.js";
import { Host } from "../src/host/host.js";
import { ControlClient, LatticeHost } from "../src/lattice/mod.js";
import { startDashboard, type Dashboard } from "../src/ui/server.js";
import { actor } from "./helpers/actors.js";
import { eventually } from "./helpers/eventually.js";
import { freePort, startNats, type ServerHandle } from "./helpers/servers.js";

const CHROMIUM = "/usr/bin/chromium";
const silent = pino({ level: "silent" });
const cluster = KeyPair.create("cluster");

describe("dashboard in a browser", () => {
  let nats: ServerHandle;
  const members: Array<{ host: Host; lattice: LatticeHost }> = [];
  let dashboard: Dashboard;
  let browser: Browser;
  let page: Page;
  let sneakyPort: number;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (npm test does this: scripts/test-servers.mjs)`);
    nats = await startNats({ jetstream: true });
    for (const [role, caps] of [
      ["edge", ["wascc:http_server"]],
      ["worker", []],
    ] as const) {
      const host = new Host({ logger: silent, actorDefaults: { instances: 1 } });
      for (const cap of caps) await host.addProvider(createBuiltinProvider(cap));
      members.push({
        host,
        lattice: await LatticeHost.join(host, { url: nats.url, clusterSeed: cluster.seed, labels: { role }, heartbeatMs: 300, logger: silent }),
      });
    }
    const [edge, worker] = members as [(typeof members)[0], (typeof members)[0]];
    await worker.host.startActor(actor("echo").signedPath);
    await worker.host.startActor(actor("sneaky").signedPath);
    await edge.host.startActor(actor("kvcounter").signedPath);
    const client = await ControlClient.connect({ url: nats.url });
    sneakyPort = await freePort();
    expect((await client.putLink({ actor: actor("sneaky").publicKey, capabilityId: "wascc:http_server", values: { PORT: String(sneakyPort) } })).stored).toBe(
      true,
    );
    await client.close();
    dashboard = await startDashboard({ url: nats.url, port: await freePort() });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] });
    page = await browser.newPage();
    page.on("dialog", (dialog) => void dialog.accept()); // the page asks before every action
    await page.goto(dashboard.url);
  });

  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
    for (const m of members) {
      await m.lattice.stopServing();
      await m.host.shutdown();
      await m.lattice.close();
    }
    await nats?.stop();
  });

  it("lists both hosts and their actors", async () => {
    for (const m of members) await page.locator(`#hosts tr[data-host="${m.lattice.hostId}"]`).waitFor();
    await expect(page.locator("#hosts").innerText()).resolves.toContain("role=worker");
    const actors = page.locator("#actors");
    await page.locator(`#actors tr[data-actor="${actor("echo").publicKey}"]`).waitFor();
    const text = await actors.innerText();
    for (const name of ["echo", "sneaky", "kvcounter"]) expect(text).toContain(name);
    expect(text).toContain("wascc:http_server, wascc:keyvalue");
    // Beside the capabilities, the rest of the claims: issuer and expiry.
    const echoClaims = await page.locator(`#actors tr[data-actor="${actor("echo").publicKey}"] td.claims`).innerText();
    expect(echoClaims).toMatch(/issuer A[A-Z2-7]{4,}/);
    expect(echoClaims).toMatch(/no expiry|expires \d{4}-\d{2}-\d{2}/);
    await expect(page.locator("#connection").innerText()).resolves.toBe("live");
  });

  it("scaling an actor from the page changes the host's inventory", async () => {
    const worker = members[1]!;
    const row = page.locator(`#actors tr[data-actor="${actor("echo").publicKey}"]`);
    await row.locator("input.instances").fill("3");
    await row.locator("button.scale").click();
    await eventually(() => expect(worker.host.actorInfo(actor("echo").publicKey)?.instances).toBe(3));
    await eventually(async () => expect(await page.locator(`#actors tr[data-actor="${actor("echo").publicKey}"] td.instances-count`).innerText()).toBe("3"));
  });

  it("starts an actor the lattice knows from the page, on the host asked for", async () => {
    const edge = members[0]!;
    await page.locator('#start-form input[name="ref"]').fill("echo");
    await page.locator('#start-form input[name="hostId"]').fill(edge.lattice.hostId);
    await page.locator("#start-form button").click();
    await eventually(() => expect(edge.host.actorInfo(actor("echo").publicKey)?.state).toBe("running"));
    await page.locator(`#actors tr[data-actor="${actor("echo").publicKey}"][data-host="${edge.lattice.hostId}"]`).waitFor();
  });

  it("shows a denied invocation, highlighted, in the event stream", async () => {
    const res = await fetch(`http://127.0.0.1:${sneakyPort}/`);
    expect(res.status).toBe(500);
    const denied = page.locator('#events li[data-type="invocation_denied"]');
    await denied.first().waitFor({ timeout: 10_000 });
    expect(await denied.first().getAttribute("class")).toBe("alert");
    expect(await denied.first().innerText()).toContain("sneaky -> wascc:keyvalue");
  });

  it("needs the token when it listens beyond loopback", async () => {
    const open = await startDashboard({ url: nats.url, port: await freePort(), host: "0.0.0.0" });
    try {
      expect(open.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
      const base = open.url.replace("0.0.0.0", "127.0.0.1").split("?")[0]!;
      expect((await fetch(`${base}api/overview`)).status).toBe(401);
      expect((await fetch(`${base}api/overview?token=wrong`)).status).toBe(401);
      const ok = await fetch(`${base}api/overview`, { headers: { authorization: `Bearer ${open.token}` } });
      expect(ok.status).toBe(200);
      expect(((await ok.json()) as { hosts: unknown[] }).hosts).toHaveLength(2);
      expect((await fetch(`${base}app/main.js`)).status).toBe(401);
      // The printed address works in a browser: the page, its scripts, its stylesheet and its
      // event stream all get through, and it lists both hosts.
      const tokenPage = await browser.newPage();
      const refused: string[] = [];
      tokenPage.on("response", (response) => void (response.status() === 401 && refused.push(response.url())));
      await tokenPage.goto(open.url.replace("0.0.0.0", "127.0.0.1"));
      for (const m of members) await tokenPage.locator(`#hosts tr[data-host="${m.lattice.hostId}"]`).waitFor();
      await eventually(async () => expect(await tokenPage.locator("#connection").innerText()).toBe("live"));
      expect(refused).toEqual([]);
      await tokenPage.close();
    } finally {
      await open.close();
    }
  });
});
