/**
 * Junk in every bucket of a lattice (real nats-server, JetStream): links, applications,
 * statuses, the reconciler's lease and claims. Hosts keep serving, the reconciler keeps
 * deploying, and each junk entry a host reads is logged once with its bucket and key and
 * counted once, however often it is read again. One host trusts an operator, the other is open.
 */
import { Writable } from "node:stream";
import { pino, type Logger } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeyPair } from "../src/claims/nkeys.js";
import { AppClient } from "../src/deploy/app-client.js";
import { loadAppManifest } from "../src/deploy/app-manifest.js";
import { runReconciler, type RunningReconciler } from "../src/deploy/run-reconciler.js";
import { linkKey } from "../src/lattice/state/link-store.js";
import { ControlClient, latticeSubjects } from "../src/lattice/mod.js";
import { actor } from "./helpers/actors.js";
import { eventually } from "./helpers/eventually.js";
import { joinMember, leaveMember, type Member } from "./helpers/lattice-member.js";
import { startNats, type ServerHandle } from "./helpers/servers.js";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const cluster = KeyPair.create("cluster");
const operator = KeyPair.create("operator");
const echo = actor("echo");
const kvcounter = actor("kvcounter");
const subjects = latticeSubjects("default");
const JUNK = new Uint8Array([0xff, 0x00, 0x7b, 0x6a, 0x75, 0x6e, 0x6b]);
const encoder = new TextEncoder();

interface Line {
  level: number;
  msg: string;
  scope?: string;
  key?: string;
}

/** A logger whose warnings about refused entries are kept, per host. */
function capture(): { logger: Logger; refusals: () => Line[] } {
  const lines: Line[] = [];
  const logger: Logger = pino(
    { level: "warn" },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()) as Line);
        done();
      },
    }),
  );
  return { logger, refusals: () => lines.filter((l) => l.msg.startsWith("lattice: refused to act on")) };
}

describe("junk in every bucket", { timeout: 60_000 }, () => {
  let nats: ServerHandle;
  let strict: Member;
  let open: Member;
  let reconciler: RunningReconciler;
  let client: ControlClient;
  const strictLog = capture();
  const openLog = capture();
  const junkLink = linkKey(echo.publicKey, "wascc:keyvalue", "junk");
  const junkClaimsKey = KeyPair.create("module").publicKey;

  beforeAll(async () => {
    nats = await startNats({ jetstream: true });
    strict = await joinMember(nats.url, {
      cluster,
      trustedOperators: [operator.publicKey],
      capabilities: ["wascc:keyvalue"],
      logger: strictLog.logger,
      labels: { role: "strict" },
    });
    open = await joinMember(nats.url, { cluster, capabilities: ["wascc:keyvalue"], logger: openLog.logger, labels: { role: "open" } });
    reconciler = await runReconciler({
      url: nats.url,
      lattice: "default",
      holder: strict.lattice.hostId,
      logger: strictLog.logger,
      intervalMs: 200,
      signer: strict.lattice.signer,
      guard: strict.lattice.guard,
    });
    client = await ControlClient.connect({ url: nats.url, signer: operator });
    // Each host runs one actor from its file (its claims are published to the lattice).
    await client.startActor({ path: echo.signedPath }, { hostId: open.lattice.hostId });
    await client.startActor({ path: kvcounter.signedPath }, { hostId: strict.lattice.hostId });
    await eventually(() => expect(reconciler.reconciler.isLeader).toBe(true));
    const kv = (bucket: string) => client.buckets.kv(bucket, { history: 1 });
    await (await kv(subjects.linksBucket)).put("junk-bytes", JUNK);
    await (await kv(subjects.linksBucket)).put(junkLink, encoder.encode('{"actorKey":"not a link"}'));
    await (await kv(subjects.appsBucket)).put("junk-app", JUNK);
    await (await kv(subjects.appStatusBucket)).put("junk-app", JUNK);
    await (await kv(subjects.claimsBucket)).put(junkClaimsKey, JUNK);
    await (await kv(subjects.leaseBucket)).put("reconciler", encoder.encode("junk holder"));
  });

  afterAll(async () => {
    await reconciler?.stop();
    await client?.close();
    await leaveMember(strict);
    await leaveMember(open);
    await nats?.stop();
  });

  it("each junk entry is reported once with its bucket and key; hosts keep serving and the reconciler keeps leading", async () => {
    const strictCounts = () => strict.lattice.guard.reporter.counts();
    await eventually(() => expect(strictCounts()).toMatchObject({ "links:malformed": 1, "links:unsigned": 1, "apps:malformed": 1, "leases:malformed": 1 }));
    await eventually(() => expect(open.lattice.guard.reporter.counts()).toMatchObject({ "links:malformed": 2 }));
    // The lease's junk holder is taken over, not obeyed.
    await eventually(() => expect(reconciler.reconciler.isLeader).toBe(true));
    // Claims are read when a host resolves a name: the junk is skipped, the real claims found.
    expect((await client.startActor({ ref: "echo" }, { hostId: strict.lattice.hostId })).key).toBe(echo.publicKey);
    expect((await client.startActor({ ref: "kvcounter" }, { hostId: open.lattice.hostId })).key).toBe(kvcounter.publicKey);
    expect(strictCounts()["claims:malformed"]).toBe(1);
    expect(open.lattice.guard.reporter.counts()["claims:malformed"]).toBe(1);
    // The dashboard's and CLI's reader skips a junk status (nothing acts on it).
    const apps = await AppClient.connect({ url: nats.url, signer: operator });
    try {
      expect(await apps.store.getStatus("junk-app")).toBeUndefined();
      // A signed deployment still goes through: more reconcile rounds read the junk again. The
      // echo started by hand on the strict host is the operator's (an application never adopts
      // it), so it is stopped first to leave the application a free host.
      await client.stopActor("echo", { hostId: strict.lattice.hostId });
      const dir = mkdtempSync(join(tmpdir(), "wactor-junk-"));
      const file = join(dir, "app.yaml");
      writeFileSync(
        file,
        ["name: greeter", 'version: "1"', "actors:", `  - { source: ${echo.signedPath}, replicas: 1, spread: [ { labels: { role: strict } } ] }`, ""].join(
          "\n",
        ),
      );
      const status = await apps.deploy(await loadAppManifest(file), { timeoutMs: 30_000 });
      expect(status.phase).toBe("deployed");
    } finally {
      await apps.close();
    }
    expect((await client.getHosts()).map((h) => h.id).sort()).toEqual([strict.lattice.hostId, open.lattice.hostId].sort());
    // Read again and again, reported once: counts, logs and events.
    expect(strictCounts()).toEqual({ "links:malformed": 1, "links:unsigned": 1, "apps:malformed": 1, "leases:malformed": 1, "claims:malformed": 1 });
    expect(open.lattice.guard.reporter.counts()).toEqual({ "links:malformed": 2, "claims:malformed": 1 });
    const keysOf = (lines: Line[]) => lines.map((l) => `${l.scope} ${l.key}`).sort();
    expect(keysOf(strictLog.refusals())).toEqual(
      [`apps junk-app`, `claims ${junkClaimsKey}`, `leases reconciler`, `links ${junkLink}`, "links junk-bytes"].sort(),
    );
    expect(keysOf(openLog.refusals())).toEqual([`claims ${junkClaimsKey}`, `links ${junkLink}`, "links junk-bytes"].sort());
  });
});
