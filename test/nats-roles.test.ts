/**
 * The documented per-role NATS permissions (docs/nats-roles.conf) on a real nats-server:
 * a lattice works with each role holding only its set (a host that serves and reconciles, an
 * operator that starts, links and deploys, a dashboard that reads, a caller that invokes),
 * and each role is refused beyond it: the dashboard cannot put a link, the caller cannot read
 * the links bucket nor send a control command.
 */
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { connect, type NatsConnection } from "nats";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeyPair } from "../src/claims/nkeys.js";
import { AppClient } from "../src/deploy/app-client.js";
import { loadAppManifest } from "../src/deploy/app-manifest.js";
import { runReconciler, type RunningReconciler } from "../src/deploy/run-reconciler.js";
import { AppStore } from "../src/deploy/app-store.js";
import { encode } from "../src/codec/mod.js";
import { encodeJson } from "../src/lattice/wire/control-codec.js";
import { LinkStore } from "../src/lattice/state/link-store.js";
import { ControlClient, InvocationSigner, encodeInvocation, latticeSubjects, type NatsAccess } from "../src/lattice/mod.js";
import { rolesConfig, type LatticeRole } from "../src/lattice/trust/nats-roles.js";
import { requestInvocation } from "../src/lattice/rpc/rpc.js";
import { WactorError } from "../src/errors.js";
import { actor } from "./helpers/actors.js";
import { joinMember, leaveMember, type Member } from "./helpers/lattice-member.js";
import { startNatsWithConfig, type NatsNode } from "./helpers/nats-cluster.js";
import { freePort } from "./helpers/servers.js";
import { httpOk } from "./helpers/http-reply.js";

const DOC = fileURLToPath(new URL("../docs/nats-roles.conf", import.meta.url));
const cluster = KeyPair.create("cluster");
const operatorKey = KeyPair.create("operator");
const echo = actor("echo");
const kvcounter = actor("kvcounter");
const subjects = latticeSubjects("default");
const password = (role: LatticeRole): string => `pw-${role}-${process.pid}`;
const access = (role: LatticeRole): NatsAccess => ({ auth: { kind: "user", user: `wactor-${role}`, password: password(role) } });

describe("per-role NATS permissions", { timeout: 60_000 }, () => {
  let nats: NatsNode;
  let host: Member;
  let reconciler: RunningReconciler;
  let operator: ControlClient;
  const violations = (): string[] =>
    readFileSync(join(nats.dir, "nats.log"), "utf8")
      .split("\n")
      .filter((l) => /Violation/i.test(l));

  beforeAll(async () => {
    // nats-server takes the passwords from its environment, as the documented file expects.
    for (const role of ["host", "operator", "dashboard", "caller"] as const) process.env[`WACTOR_${role.toUpperCase()}_PASSWORD`] = password(role);
    nats = await startNatsWithConfig("roles", (port, dir) => {
      copyFileSync(DOC, join(dir, "nats-roles.conf"));
      return [
        `listen: "127.0.0.1:${port}"`,
        `jetstream { store_dir: "${join(dir, "js")}" }`,
        `log_file: "${join(dir, "nats.log")}"`,
        `include "nats-roles.conf"`,
        "",
      ].join("\n");
    });
    host = await joinMember(nats.url, {
      cluster,
      capabilities: ["wascc:http_server"],
      access: access("host"),
      trustedOperators: [operatorKey.publicKey],
      labels: { role: "worker" },
    });
    reconciler = await runReconciler({
      url: nats.url,
      lattice: "default",
      holder: host.lattice.hostId,
      logger: pino({ level: "silent" }),
      intervalMs: 200,
      access: access("host"),
      signer: host.lattice.signer,
      guard: host.lattice.guard,
    });
    operator = await ControlClient.connect({ url: nats.url, access: access("operator"), signer: operatorKey });
  });

  afterAll(async () => {
    await operator?.close();
    await reconciler?.stop();
    await leaveMember(host);
    await nats?.stop();
  });

  it("the documented file is what 'wactor ctl nats-roles' prints for the lattice 'default'", () => {
    expect(readFileSync(DOC, "utf8")).toBe(rolesConfig("default"));
  });

  it("operator: starts an actor from a file, puts a link, deploys an application; the host serves and reconciles", async () => {
    const started = await operator.startActor({ path: kvcounter.signedPath }, { hostId: host.lattice.hostId });
    expect(started.key).toBe(kvcounter.publicKey);
    const put = await operator.putLink({ actor: "kvcounter", capabilityId: "wascc:http_server", values: { PORT: String(await freePort()) } });
    expect(put).toMatchObject({ stored: true, validations: [{ hostId: host.lattice.hostId, ok: true }] });
    expect((await operator.getLinks()).map((l) => l.actorKey)).toEqual([kvcounter.publicKey]);
    const apps = await AppClient.connect({ url: nats.url, access: access("operator"), signer: operatorKey });
    try {
      const file = join(nats.dir, "app.yaml");
      writeFileSync(
        file,
        ["name: greeter", 'version: "1"', "actors:", `  - { source: ${echo.signedPath}, replicas: 1, spread: [ { labels: { role: worker } } ] }`, ""].join(
          "\n",
        ),
      );
      expect((await apps.deploy(await loadAppManifest(file), { timeoutMs: 30_000 })).phase).toBe("deployed");
    } finally {
      await apps.close();
    }
    // Host, reconciler and operator did all of it within their sets: the server refused nothing.
    expect(violations()).toEqual([]);
  });

  it("dashboard: reads hosts, inventories, links and applications; cannot put a link", async () => {
    const dashboard = await ControlClient.connect({ url: nats.url, access: access("dashboard") });
    try {
      const hosts = await dashboard.getHosts();
      expect(hosts.map((h) => h.id)).toEqual([host.lattice.hostId]);
      expect((await dashboard.getInventory(host.lattice.hostId)).actors.map((a) => a.key).sort()).toEqual([echo.publicKey, kvcounter.publicKey].sort());
      expect((await dashboard.getLinks()).map((l) => l.actorKey)).toEqual([kvcounter.publicKey]);
      expect((await (await AppStore.open(dashboard.buckets, subjects)).listDesired()).map((a) => a.name)).toEqual(["greeter"]);
      expect(violations()).toEqual([]);
      const links = await LinkStore.open(dashboard.buckets, subjects.linksBucket);
      const put = links.put({ actorKey: kvcounter.publicKey, capabilityId: "wascc:http_server", binding: "dash", values: {} });
      await expect(put).rejects.toMatchObject({ code: "WACTOR_ERR_LATTICE_STATE_WRITE", detail: expect.stringContaining("Permissions Violation") });
      await expect(dashboard.stopActor(kvcounter.publicKey, { hostId: host.lattice.hostId })).rejects.toThrow(/Permissions Violation/);
    } finally {
      await dashboard.close();
    }
    expect((await operator.getLinks()).map((l) => l.binding)).toEqual(["default"]);
    expect(host.host.actorInfo(kvcounter.publicKey)?.state).toBe("running");
    expect(violations().map((l) => /User "([^"]+)"/.exec(l)?.[1])).toEqual(["wactor-dashboard", "wactor-dashboard"]);
  });

  it("caller: invokes an actor; cannot read the links bucket nor send a control command", async () => {
    const nc: NatsConnection = await connect({ servers: nats.url, user: "wactor-caller", pass: password("caller") });
    try {
      const signer = new InvocationSigner({ clusterKey: cluster, hostId: KeyPair.create("server").publicKey });
      const request = encode({ method: "GET", path: "/caller", queryString: "", header: {}, body: new Uint8Array() });
      const invocation = signer.sign(
        { kind: "actor", key: KeyPair.create("module").publicKey },
        { kind: "actor", key: echo.publicKey },
        "HandleRequest",
        request,
      );
      const reply = await requestInvocation(
        nc,
        subjects.actor(echo.publicKey),
        encodeInvocation(invocation),
        5000,
        () => new WactorError("WACTOR_ERR_LATTICE_NO_ACTOR", "none"),
      );
      expect(httpOk(reply).text).toContain("/caller");
      await expect(nc.jetstream().views.kv(subjects.linksBucket)).rejects.toThrow(/Permissions Violation/);
      await expect(nc.request(subjects.hostControl(host.lattice.hostId, "stop_actor"), encodeJson({ key: echo.publicKey }), { timeout: 5000 })).rejects.toThrow(
        /Permissions Violation/,
      );
    } finally {
      await nc.close();
    }
    expect(host.host.actorInfo(echo.publicKey)?.state).toBe("running");
    expect(violations().filter((l) => l.includes('"wactor-caller"'))).toHaveLength(2);
  });
});
