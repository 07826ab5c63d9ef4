/**
 * `wactor ctl` (the real binary) against two in-process hosts joined to a real nats-server
 * with JetStream. The CLI runs asynchronously: this process must keep answering its requests.
 */
import { once } from "node:events";
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeyPair } from "../src/claims/nkeys.js";
import { type HostSummary, type Inventory, type LatticeEvent, type Link } from "../src/lattice/mod.js";
import { actor } from "./helpers/actors.js";
import { wactorAsync, type CliResult } from "./helpers/cli.js";
import { eventually } from "./helpers/eventually.js";
import { joinMember, leaveMember, type Member } from "./helpers/lattice-member.js";
import { freePort, startNats, type ServerHandle } from "./helpers/servers.js";

const cluster = KeyPair.create("cluster");
const echo = actor("echo");
const kvcounter = actor("kvcounter");

const member = (natsUrl: string, labels: Record<string, string>, capabilities: string[]): Promise<Member> =>
  joinMember(natsUrl, { labels, capabilities, cluster });
const leave = leaveMember;

describe("wactor ctl", () => {
  let nats: ServerHandle;
  let edge: Member; // HTTP server provider
  let compute: Member; // actors only
  let edgeId: string;
  let computeId: string;

  const ctl = (args: string[], onStderr?: (text: string) => void): Promise<CliResult> =>
    wactorAsync(["ctl", ...args, "--lattice", nats.url], { ...(onStderr && { onStderr }) });
  const json = async <T>(...args: string[]): Promise<T> => {
    const result = await ctl([...args, "--json"]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    return JSON.parse(result.stdout) as T;
  };
  const expectError = (result: CliResult, code: string): void => {
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`error[${code}]`);
  };

  beforeAll(async () => {
    nats = await startNats({ jetstream: true });
    edge = await member(nats.url, { role: "edge" }, ["wascc:http_server"]);
    compute = await member(nats.url, { role: "compute" }, []);
    [edgeId, computeId] = [edge.lattice.hostId, compute.lattice.hostId];
  });

  afterAll(async () => {
    for (const m of [edge, compute]) await leave(m);
    await nats?.stop();
  });

  it("get hosts lists both hosts with their labels (JSON and table)", async () => {
    const [hosts, table] = await Promise.all([json<HostSummary[]>("get", "hosts"), ctl(["get", "hosts"])]);
    expect(Object.fromEntries(hosts.map((h) => [h.id, h.labels]))).toEqual({ [edgeId]: { role: "edge" }, [computeId]: { role: "compute" } });
    expect(hosts.find((h) => h.id === edgeId)?.providers).toEqual(["wascc:http_server"]);
    expect(table.status).toBe(0);
    expect(table.stdout).toMatch(/^HOST +LABELS +UPTIME +VERSION +ACTORS +PROVIDERS/);
    expect(table.stdout).toContain(edgeId);
    expect(table.stdout).toContain("role=compute");
  });

  it("start actor from a path on the host matching --constraint; inventory and claims show it", async () => {
    const started = await json<{ hostId: string; key: string; instances: number }>(
      "start",
      "actor",
      echo.signedPath,
      "--constraint",
      "role=compute",
      "--instances",
      "2",
    );
    expect(started).toMatchObject({ hostId: computeId, key: echo.publicKey, instances: 2 });
    expect(compute.host.actorInfo(echo.publicKey)?.state).toBe("running");
    const [inventory, inventoryTable, claims, claimsTable] = await Promise.all([
      json<Inventory>("get", "inventory", computeId),
      ctl(["get", "inventory", computeId]),
      json<Array<{ subject: string; issuer: string; caps: string[] }>>("get", "claims"),
      ctl(["get", "claims"]),
    ]);
    expect(inventory.actors).toEqual([expect.objectContaining({ key: echo.publicKey, name: "echo", instances: 2, state: "running" })]);
    expect(inventoryTable.stdout).toMatch(new RegExp(`echo +${echo.publicKey} +2 +running`));
    const claimed = claims.find((c) => c.subject === echo.publicKey);
    expect(claimed?.caps).toEqual(["wascc:http_server"]);
    expect(claimed?.issuer).toMatch(/^A[A-Z2-7]{55}$/);
    expect(claimsTable.stdout).toMatch(new RegExp(`echo +${echo.publicKey} +${claimed?.issuer}`));
  });

  it("link put is validated by the provider's host, traffic flows, link get masks secrets", async () => {
    const port = await freePort();
    const put = await ctl(["link", "put", "echo", "wascc:http_server", "--value", `PORT=${port}`, "--value", "API_TOKEN=hunter2"]);
    expect(put.status).toBe(0);
    expect(put.stdout).toContain(`'default': stored`);
    expect(put.stdout).toContain(`host ${edgeId}: ok`);
    expect(put.stdout).not.toContain("hunter2");
    const res = await eventually(async () => {
      const r = await fetch(`http://127.0.0.1:${port}/via-ctl`);
      expect(r.status).toBe(200);
      return r;
    });
    expect(await res.json()).toMatchObject({ path: "/via-ctl" });
    const [links, table, inventory] = await Promise.all([json<Link[]>("link", "get"), ctl(["link", "get"]), json<Inventory>("get", "inventory", edgeId)]);
    expect(links).toEqual([
      { actorKey: echo.publicKey, capabilityId: "wascc:http_server", binding: "default", values: { PORT: String(port), API_TOKEN: "****" } },
    ]);
    expect(table.stdout).toContain(`PORT=${port} API_TOKEN=****`);
    expect(table.stdout).not.toContain("hunter2");
    expect(inventory.providers).toEqual([
      expect.objectContaining({
        capabilityId: "wascc:http_server",
        bindings: [{ actorKey: echo.publicKey, binding: "default", status: expect.objectContaining({ state: "ok" }) }],
      }),
    ]);
  });

  it("link put refused by the provider's host exits 1 with the code; a link nobody serves yet is pending", async () => {
    const held = await freePort();
    const blocker = createServer().listen(held, "127.0.0.1");
    await once(blocker, "listening");
    const args = ["link", "put", "echo", "wascc:http_server", "--binding", "second", "--value", `PORT=${held}`];
    // A key-value link: no host runs that provider, so the client waits out its whole validation window.
    const [refused, asJson, pending] = await Promise.all([
      ctl(args),
      ctl([...args, "--json"]),
      ctl(["link", "put", kvcounter.publicKey, "wascc:keyvalue", "--value", "URL=redis://127.0.0.1:1"]),
    ]).finally(() => blocker.close());
    expect(refused.status).toBe(1);
    expect(refused.stdout).toContain("REFUSED, not stored");
    expect(refused.stdout).toContain(`host ${edgeId}: WACTOR_ERR_PORT_IN_USE`);
    expect(asJson.status).toBe(1);
    expect(JSON.parse(asJson.stdout)).toMatchObject({ stored: false, validations: [{ hostId: edgeId, ok: false, code: "WACTOR_ERR_PORT_IN_USE" }] });
    expect(pending.status).toBe(0);
    expect(pending.stdout).toContain("pending: no host runs a provider for wascc:keyvalue yet");
    expect((await json<Link[]>("link", "get")).map((l) => `${l.capabilityId}/${l.binding}`).sort()).toEqual([
      "wascc:http_server/default",
      "wascc:keyvalue/default",
    ]);
  });

  it("scale actor; an unknown host and bad arguments are reported with their codes", async () => {
    const nobody = KeyPair.create("server").publicKey;
    const [scaled, unknownInventory, unknownStart, zero, noEquals, both] = await Promise.all([
      json<unknown>("scale", "actor", "echo", "3"),
      ctl(["get", "inventory", nobody]),
      ctl(["start", "actor", "echo", "--host", nobody]),
      ctl(["scale", "actor", "echo", "0"]),
      ctl(["link", "put", "echo", "wascc:http_server", "--value", "PORT"]),
      ctl(["start", "actor", echo.signedPath, "--host", computeId, "--constraint", "role=edge"]),
    ]);
    expect(scaled).toEqual([{ hostId: computeId, key: echo.publicKey, instances: 3 }]);
    expect(compute.host.actorInfo(echo.publicKey)?.instances).toBe(3);
    expectError(unknownInventory, "WACTOR_ERR_HOST_NOT_FOUND");
    expect(unknownInventory.stderr).toContain(nobody);
    expectError(unknownStart, "WACTOR_ERR_HOST_NOT_FOUND");
    for (const bad of [zero, noEquals, both]) expectError(bad, "WACTOR_ERR_BAD_ARGUMENT");
  });

  it("start provider on a host, stop provider wherever it runs; stopping one that runs nowhere is an error", async () => {
    const started = await json<{ hostId: string; capabilityId: string; running: boolean }>("start", "provider", "wascc:logging", "--host", computeId);
    expect(started).toEqual({ hostId: computeId, capabilityId: "wascc:logging", running: true, apps: [] });
    expect(compute.host.providerIds()).toEqual(["wascc:logging"]);
    // Started by an operator, not for an application: the inventory's APPS column says "-".
    expect((await ctl(["get", "inventory", computeId])).stdout).toMatch(/PROVIDER +NAME +APPS +ACTOR[^\n]*\n\s*wascc:logging +\S+ +- /);
    const stopped = await ctl(["stop", "provider", "wascc:logging"]);
    expect(stopped.status).toBe(0);
    expect(stopped.stdout).toBe(`stopped provider wascc:logging on ${computeId}\n`);
    expect(compute.host.providerIds()).toEqual([]);
    expect(edge.host.providerIds()).toEqual(["wascc:http_server"]);
    const [again, onHost] = await Promise.all([ctl(["stop", "provider", "wascc:logging"]), ctl(["stop", "provider", "wascc:logging", "--host", computeId])]);
    expectError(again, "WACTOR_ERR_NO_PROVIDER");
    expectError(onHost, "WACTOR_ERR_NO_PROVIDER");
    expect(onHost.stderr).toContain("nothing to stop");
  });

  it("watch prints JSON events (heartbeats only when asked); link del and stop actor", async () => {
    let live: () => void = () => {};
    const watching = new Promise<void>((resolve) => (live = resolve));
    const watcher = ctl(["watch", "--json", "--count", "1"], (text) => text.includes("watching lattice 'default'") && live());
    const heartbeats = ctl(["watch", "--json", "--count", "1", "--heartbeats"]);
    await Promise.race([watching, watcher]); // a watcher that dies early fails below instead of hanging
    const deleted = await json<Link>("link", "del", "echo", "wascc:http_server");
    expect(deleted).toMatchObject({ actorKey: echo.publicKey, binding: "default", values: { API_TOKEN: "****" } });
    const watched = await watcher;
    expect(watched.status).toBe(0);
    const lines = watched.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ type: "link_deleted", hostId: edgeId, data: { actorKey: echo.publicKey, binding: "default" } });

    const heartbeat = await heartbeats;
    expect(heartbeat.status).toBe(0);
    const event = JSON.parse(heartbeat.stdout) as LatticeEvent;
    expect(event.type).toBe("host_heartbeat");
    expect([edgeId, computeId]).toContain(event.hostId);

    const [stopped, deletedAgain, lastDel] = await Promise.all([
      json<unknown>("stop", "actor", "echo"),
      ctl(["link", "del", "echo", "wascc:http_server"]),
      ctl(["link", "del", kvcounter.publicKey, "wascc:keyvalue", "--binding", "default"]),
    ]);
    expect(stopped).toEqual([{ hostId: computeId, key: echo.publicKey }]);
    expect(compute.host.actorInfo(echo.publicKey)).toBeUndefined();
    expectError(deletedAgain, "WACTOR_ERR_LINK_NOT_FOUND");
    expect(lastDel.stdout).toBe(`deleted ${kvcounter.publicKey} -> wascc:keyvalue 'default'\n`);
  });
});
