/**
 * The memory of stale signed versions survives a restart (issue 28): a `wactor up --lattice`
 * process that trusts an operator is stopped, an older signed version of an application (its
 * good signature and all) is written back while it is down, and the restarted process refuses
 * it as stale: it learns every key's newest signed version from the bucket's history, the
 * state itself. Before, the restarted process took the old version as the newest it knew.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeyPair } from "../src/claims/nkeys.js";
import { AppClient } from "../src/deploy/app-client.js";
import { latticeSubjects } from "../src/lattice/mod.js";
import { actor } from "./helpers/actors.js";
import { wactorAsync } from "./helpers/cli.js";
import { eventually } from "./helpers/eventually.js";
import { freePort, startNats, type ServerHandle } from "./helpers/servers.js";
import { startUp, stopUp, waitForOutput, type UpProcess } from "./helpers/up-process.js";

const dir = mkdtempSync(join(tmpdir(), "wactor-stale-"));
const cluster = KeyPair.create("cluster");
const operator = KeyPair.create("operator");
const echo = actor("echo");
const subjects = latticeSubjects("default");
const file = (name: string, text: string): string => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};

describe("stale signed versions after a restart", { timeout: 120_000 }, () => {
  let nats: ServerHandle;
  let apps: AppClient;
  let host: UpProcess | undefined;
  let metricsPort: number;

  const start = async (): Promise<string> => {
    const manifest = file("host.yaml", "labels: { role: compute }\n");
    host = startUp([
      manifest,
      "--lattice",
      nats.url,
      "--cluster-seed",
      cluster.seed,
      "--trusted-operator",
      operator.publicKey,
      "--metrics-port",
      String(metricsPort),
      "--heartbeat-ms",
      "300",
      "--reconcile-ms",
      "300",
      "--log-level",
      "warn",
    ]);
    await waitForOutput(host, "lattice  default");
    return /host=(N[A-Z2-7]{55})/.exec(host.stdout())![1]!;
  };
  const rejected = async (reason: string): Promise<number> => {
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const line = text.split("\n").find((l) => l.startsWith(`wactor_lattice_rejected_total{reason="${reason}"}`));
    return line ? Number(line.split(" ").pop()) : 0;
  };
  const deploy = (version: string) =>
    wactorAsync(
      [
        "app",
        "deploy",
        file(
          `greeter-${version}.yaml`,
          `name: greeter\nversion: "${version}"\nactors:\n  - { source: ${echo.signedPath}, replicas: 1, instances: ${version} }\n`,
        ),
        "--lattice",
        nats.url,
        "--operator-seed",
        operator.seed,
      ],
      { timeoutMs: 90_000 },
    );

  beforeAll(async () => {
    nats = await startNats({ jetstream: true });
    metricsPort = await freePort();
    await start();
    apps = await AppClient.connect({ url: nats.url });
  });

  afterAll(async () => {
    await apps?.close();
    if (host) await stopUp(host);
    await nats?.stop();
  });

  it("a restarted host refuses an older signed version written while it was down", async () => {
    expect((await deploy("1")).stdout).toContain("deployed greeter 1");
    expect((await deploy("2")).stdout).toContain("deployed greeter 2");
    await stopUp(host!);
    // While it is down, version 1 (operator-signed) is written back over version 2.
    const kv = await apps.control.buckets.kv(subjects.appsBucket, { history: 64 });
    const versions: Uint8Array[] = [];
    for await (const entry of await kv.history({ key: "greeter" })) versions.push(entry.value);
    expect(versions).toHaveLength(2);
    await kv.put("greeter", versions[0]!);
    const hostId = await start();
    // The restarted host's reconciler reports on the application: still version 2, version 1 refused as stale.
    await eventually(async () => expect((await apps.status("greeter")).status).toMatchObject({ reconciler: hostId, version: "2", phase: "deployed" }), {
      timeoutMs: 30_000,
    });
    expect(await rejected("apps:stale")).toBe(1);
    const running = (await apps.control.getInventory(hostId)).actors.find((a) => a.key === echo.publicKey);
    expect(running?.instances).toBe(2);
  });
});
