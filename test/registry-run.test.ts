/**
 * Actors named by OCI reference run: from a host manifest (a bare string, as in waSCC),
 * `wactor call`, and in a lattice (`ctl start actor`, the dashboard's start action, app
 * deploys), against a real docker-registry and nats-server. A registry that is down or
 * refuses the credentials starts nothing.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { KeyPair } from "../src/claims/nkeys.js";
import { decodeHttpResponse, encodeHttpRequest } from "../src/codec/http.js";
import { AppClient } from "../src/deploy/app-client.js";
import { parseAppManifest } from "../src/deploy/app-manifest.js";
import { applyHostManifest } from "../src/deploy/apply-host-manifest.js";
import { loadHostManifest, parseHostManifest } from "../src/deploy/host-manifest.js";
import { runReconciler } from "../src/deploy/run-reconciler.js";
import { ControlClient } from "../src/lattice/control/control-client.js";
import { runAction } from "../src/ui/actions.js";
import { actor, signedBytes } from "./helpers/actors.js";
import { wactor, wactorAsync } from "./helpers/cli.js";
import { codeOf } from "./helpers/code-of.js";
import { curlPushWasm } from "./helpers/curl-registry.js";
import { joinMember, leaveMember, type Member } from "./helpers/lattice-member.js";
import { restoreCredentialsEnv, startRegistry, type RegistryHandle } from "./helpers/registry.js";
import { freePort, startNats, type ServerHandle } from "./helpers/servers.js";

const echo = actor("echo");
const kvcounter = actor("kvcounter");
const dir = mkdtempSync(join(tmpdir(), "wactor-reg-run-"));
const logger = pino({ level: "silent" });
const env = { ...process.env };

/** True when something accepts TCP connections on the loopback port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}

function hostManifest(actorEntry: string, port: number): string {
  const file = join(dir, `host-${port}.yaml`);
  writeFileSync(file, `actors:\n  - ${actorEntry}\nbindings:\n  - actor: echo\n    capability: wascc:http_server\n    values: { PORT: "${port}" }\n`);
  return file;
}

let open: RegistryHandle;
let locked: RegistryHandle;

beforeAll(async () => {
  process.env.WACTOR_OCI_CACHE = join(dir, "cache");
  [open, locked] = await Promise.all([startRegistry(), startRegistry({ users: { bob: "hunter2" } })]);
  // Pushed by another process, as another machine would.
  expect(wactor(["reg", "push", `${open.host}/wactor/echo:v1`, echo.signedPath]).status).toBe(0);
  expect(wactor(["reg", "push", `${open.host}/wactor/kvcounter:v1`, kvcounter.signedPath]).status).toBe(0);
  expect(wactor(["reg", "push", `${locked.host}/team/echo:v1`, echo.signedPath, "--user", "bob", "--password", "hunter2"]).status).toBe(0);
});

afterAll(async () => {
  await Promise.all([open?.stop(), locked?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

afterEach(() => restoreCredentialsEnv(env));

describe("a host manifest naming actors by reference", () => {
  it("a bare string that is a reference is one; a file path stays a path", () => {
    const parsed = parseHostManifest(
      `actors:\n  - ${open.host}/wactor/echo:v1\n  - ./missing.wasm\n  - { path: "${open.host}/wactor/kvcounter:v1", instances: 2 }\n`,
      join(dir, "h.yaml"),
    );
    expect(parsed.actors).toEqual([
      { ref: `${open.host}/wactor/echo:v1` },
      { path: join(dir, "missing.wasm") },
      { ref: `${open.host}/wactor/kvcounter:v1`, instances: 2 },
    ]);
  });

  it("runs: pushed → pulled → serving HTTP through its binding", async () => {
    const port = await freePort();
    const { host } = await applyHostManifest(await loadHostManifest(hostManifest(`${open.host}/wactor/echo:v1`, port)), { logger });
    try {
      expect(host.actorInfo(echo.publicKey)?.state).toBe("running");
      const response = await fetch(`http://127.0.0.1:${port}/by-ref?x=1`, { method: "POST", body: "hi" });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ method: "POST", path: "/by-ref", query_string: "x=1" });
    } finally {
      await host.shutdown();
    }
  });

  it("a registry that is down: the error names it and nothing is started (no port opened)", async () => {
    const port = await freePort();
    const dead = `127.0.0.1:${await freePort()}`;
    expect(await codeOf(applyHostManifest(await loadHostManifest(hostManifest(`${dead}/wactor/echo:v1`, port)), { logger }))).toBe(
      "WACTOR_ERR_REGISTRY_UNAVAILABLE",
    );
    expect(await listening(port)).toBe(false);
    const up = wactor(["up", hostManifest(`${dead}/wactor/echo:v1`, port)]);
    expect(up.status).toBe(1);
    expect(up.stderr).toContain(`error[WACTOR_ERR_REGISTRY_UNAVAILABLE]`);
    expect(up.stdout).not.toContain("ready");
  });

  it("wrong credentials: the auth error and nothing started; the right ones from the environment run it", async () => {
    const port = await freePort();
    const file = hostManifest(`${locked.host}/team/echo:v1`, port);
    process.env.OCI_REGISTRY_USER = "bob";
    process.env.OCI_REGISTRY_PASSWORD = "wrong";
    expect(await codeOf(applyHostManifest(await loadHostManifest(file), { logger }))).toBe("WACTOR_ERR_REGISTRY_AUTH");
    expect(await listening(port)).toBe(false);
    process.env.OCI_REGISTRY_PASSWORD = "hunter2";
    const { host } = await applyHostManifest(await loadHostManifest(file), { logger });
    try {
      expect(await listening(port)).toBe(true);
      expect(host.actorInfo(echo.publicKey)?.state).toBe("running");
    } finally {
      await host.shutdown();
    }
  });
});

describe("wactor call by reference", () => {
  it("pulls, verifies and invokes an artifact another client (curl) pushed with the wasm-to-oci types", () => {
    curlPushWasm(open.host, "curl/echo", "v1", signedBytes("echo"));
    const result = wactor(["call", `${open.host}/curl/echo:v1`, "HandleRequest", "--data", '{"method":"GET","path":"/called","body":"x"}']);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ statusCode: 200 });
    expect(result.stdout).toContain("/called");
  });
});

describe("a lattice host starting an actor by reference", () => {
  let nats: ServerHandle;
  let compute: Member;
  let client: ControlClient;
  const cluster = KeyPair.create("cluster");

  beforeAll(async () => {
    nats = await startNats({ jetstream: true });
    compute = await joinMember(nats.url, { cluster, labels: { role: "compute" }, instances: 1 });
    client = await ControlClient.connect({ url: nats.url });
  });
  afterAll(async () => {
    await client?.close();
    await leaveMember(compute);
    await nats?.stop();
  });

  it("ctl start actor <ref>: the host pulls it itself, runs it and publishes its claims", async () => {
    const result = await wactorAsync([
      "ctl",
      "start",
      "actor",
      `${open.host}/wactor/echo:v1`,
      "--host",
      compute.lattice.hostId,
      "--lattice",
      nats.url,
      "--json",
    ]);
    expect(result.stderr).toBe("");
    expect(JSON.parse(result.stdout)).toMatchObject({ hostId: compute.lattice.hostId, key: echo.publicKey });
    const reply = decodeHttpResponse(
      await compute.host.invoke(
        echo.publicKey,
        "HandleRequest",
        encodeHttpRequest({ method: "GET", path: "/lattice", queryString: "", header: {}, body: new Uint8Array() }),
      ),
    );
    expect(reply.statusCode).toBe(200);
    expect((await client.getClaims()).map((c) => c.subject)).toContain(echo.publicKey);
  });

  it("the dashboard's start action takes a reference the same way; a dead registry starts nothing", async () => {
    const dead = `127.0.0.1:${await freePort()}/wactor/kvcounter:v1`;
    expect(await codeOf(runAction(client, { action: "start", ref: dead, hostId: compute.lattice.hostId }))).toBe("WACTOR_ERR_REGISTRY_UNAVAILABLE");
    expect(compute.host.actorInfo(kvcounter.publicKey)).toBeUndefined();
    await runAction(client, { action: "start", ref: `${open.host}/wactor/kvcounter:v1`, hostId: compute.lattice.hostId });
    expect(compute.host.actorInfo(kvcounter.publicKey)?.state).toBe("running");
  });

  it("an application's ref that is a reference is pulled at deploy, pinned in the object store, and runs", async () => {
    const resolved = await client.resolveModule(`${open.host}/wactor/echo:v1`);
    expect(resolved.claims.subject).toBe(echo.publicKey);
    // The digest names the module in the lattice's object store, as for a source path.
    expect(resolved.digest).toBe((await client.uploadModule(echo.signedPath)).digest);
    const dice = actor("dice");
    expect((await wactorAsync(["reg", "push", `${open.host}/wactor/dice:v1`, dice.signedPath])).status).toBe(0);
    const reconciler = await runReconciler({ url: nats.url, lattice: "default", holder: compute.lattice.hostId, logger, intervalMs: 200 });
    const apps = await AppClient.connect({ url: nats.url });
    try {
      const manifest = parseAppManifest(`name: dice-app\nversion: 1.0.0\nactors:\n  - ref: ${open.host}/wactor/dice:v1\n`, join(dir, "app.yaml"));
      const status = await apps.deploy(manifest, { timeoutMs: 20_000 });
      expect(status.phase).toBe("deployed");
      expect(compute.host.actorInfo(dice.publicKey)?.state).toBe("running");
    } finally {
      await apps.close();
      await reconciler.stop();
    }
  });
});
