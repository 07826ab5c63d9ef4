/**
 * `npm run screenshot`: a small demo lattice (two hosts, a deployed application, traffic, one
 * denied invocation), the dashboard in headless chromium, saved to docs/dashboard.png.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { pino } from "pino";
import { createBuiltinProvider } from "../capabilities/mod.js";
import { KeyPair } from "../src/claims/nkeys.js";
import { AppClient } from "../src/deploy/app-client.js";
import { loadAppManifest } from "../src/deploy/app-manifest.js";
import { runReconciler } from "../src/deploy/run-reconciler.js";
import { Host } from "../src/host/host.js";
import { ControlClient, LatticeHost } from "../src/lattice/mod.js";
import { startDashboard } from "../src/ui/server.js";
import { actor } from "../test/helpers/actors.js";
import { freePort, startNats } from "./lib/servers.js";

const silent = pino({ level: "silent" });
const nats = await startNats({ jetstream: true });
const seed = KeyPair.create("cluster").seed;
const members = [];
for (const [role, caps] of [
  ["edge", ["wascc:http_server", "wascc:keyvalue"]],
  ["worker", []],
  ["worker", []],
] as const) {
  const host = new Host({ logger: silent });
  for (const cap of caps) await host.addProvider(createBuiltinProvider(cap));
  const lattice = await LatticeHost.join(host, {
    url: nats.url,
    clusterSeed: seed,
    labels: { role, zone: members.length % 2 ? "a" : "b" },
    heartbeatMs: 500,
    logger: silent,
  });
  members.push({
    host,
    lattice,
    reconciler: await runReconciler({ url: nats.url, lattice: "default", holder: lattice.hostId, logger: silent, intervalMs: 300 }),
  });
}
const port = await freePort();
const dir = mkdtempSync(join(tmpdir(), "wactor-shot-"));
writeFileSync(
  join(dir, "shop.yaml"),
  `name: shop\nversion: "1.0"\nactors:\n  - { source: ${actor("kvcounter").signedPath}, replicas: 2, instances: 2, spread: [ { labels: { role: worker } } ] }\nlinks:\n  - { actor: kvcounter, capability: wascc:http_server, values: { PORT: "${port}" } }\n  - { actor: kvcounter, capability: wascc:keyvalue, values: { KEY_PREFIX: "shop:", API_TOKEN: "s3cret" } }\n`,
);
const apps = await AppClient.connect({ url: nats.url });
await apps.deploy(await loadAppManifest(join(dir, "shop.yaml")), { timeoutMs: 30_000 });
await members[0]!.host.startActor(actor("sneaky").signedPath);
const control = await ControlClient.connect({ url: nats.url });
const sneakyPort = await freePort();
await control.putLink({ actor: "sneaky", capabilityId: "wascc:http_server", values: { PORT: String(sneakyPort) } });
const dashboard = await startDashboard({ url: nats.url, port: await freePort() });
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true, args: ["--no-sandbox"] });
const page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
await page.goto(dashboard.url);
const until = Date.now() + 6000;
while (Date.now() < until) await Promise.all(Array.from({ length: 8 }, (_, i) => fetch(`http://127.0.0.1:${port}/item/${i}`).then((r) => r.arrayBuffer())));
await fetch(`http://127.0.0.1:${sneakyPort}/`).then((r) => r.arrayBuffer());
await new Promise((r) => setTimeout(r, 1500));
await page.screenshot({ path: "docs/dashboard.png", fullPage: true });
process.stdout.write("docs/dashboard.png written\n");
await browser.close();
await dashboard.close();
await control.close();
await apps.close();
for (const m of members) {
  await m.reconciler.stop();
  await m.lattice.stopServing();
  await m.host.shutdown();
  await m.lattice.close();
}
await nats.stop();
process.exit(0);
