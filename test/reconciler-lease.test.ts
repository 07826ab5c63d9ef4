/**
 * The reconciler acts only while it holds the lease (real nats-server, JetStream KV): a
 * leader whose lease went to another host while it was observing issues no command and
 * steps down; with the lease, the same round starts the actor.
 */
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeyPair } from "../src/claims/nkeys.js";
import { AppStore } from "../src/deploy/app-store.js";
import type { DesiredApp } from "../src/deploy/app-types.js";
import { Lease } from "../src/deploy/lease.js";
import { LeaseLost, Reconciler } from "../src/deploy/reconciler.js";
import { ControlClient } from "../src/lattice/mod.js";
import { actor } from "./helpers/actors.js";
import { eventually } from "./helpers/eventually.js";
import { joinMember, leaveMember, type Member } from "./helpers/lattice-member.js";
import { startNats, type ServerHandle } from "./helpers/servers.js";

describe("reconciler: no act without the lease", () => {
  const cluster = KeyPair.create("cluster");
  let nats: ServerHandle;
  let client: ControlClient;
  let store: AppStore;
  let lease: Lease;
  let member: Member;
  let app: DesiredApp;

  beforeAll(async () => {
    nats = await startNats({ jetstream: true });
    client = await ControlClient.connect({ url: nats.url });
    store = await AppStore.open(client.buckets, client.subjects);
    lease = await Lease.open(client.buckets, client.subjects.leaseBucket, 60_000);
    member = await joinMember(nats.url, { cluster, labels: { role: "worker" } });
    const echo = actor("echo");
    const { digest } = await client.uploadModule(echo.signedPath);
    app = {
      name: "fenced",
      version: "1",
      deployedAt: new Date().toISOString(),
      undeployed: false,
      actors: [{ key: echo.publicKey, name: "echo", digest, replicas: 1, instances: 1, spread: [{ labels: {}, weight: 1 }] }],
      providers: [],
      links: [],
      owned: [echo.publicKey],
    };
    await store.putDesired(app);
  });

  afterAll(async () => {
    await leaveMember(member);
    await client?.close();
    await nats?.stop();
  });

  // Holders are host ids: a lease holding anything else is junk (taken over, reported).
  const OLD = KeyPair.create("server").publicKey;
  const NEW = KeyPair.create("server").publicKey;
  const reconciler = (holder: string) => new Reconciler({ client, store, lease, holder, intervalMs: 1000, logger: pino({ level: "silent" }) });

  it("a leader that lost its lease while observing starts nothing", async () => {
    expect(await lease.tryAcquire(OLD)).toBe(true);
    const oldLeader = reconciler(OLD);
    const round = oldLeader.reconcileOnce();
    // While the old leader pings the hosts, its lease passes to another host.
    await lease.release(OLD);
    expect(await lease.tryAcquire(NEW)).toBe(true);
    await expect(round).rejects.toBeInstanceOf(LeaseLost);
    expect(member.host.listActors()).toEqual([]);
  });

  it("the holder of the lease acts", async () => {
    const plan = await reconciler(NEW).reconcileOnce();
    expect(plan.commands.map((c) => c.kind)).toContain("start_actor");
    await eventually(() => expect(member.host.listActors().map((a) => a.key)).toEqual([app.actors[0]!.key]));
  });
});
