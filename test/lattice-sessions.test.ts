/**
 * Host sessions on a real nats-server against `wactor up --lattice` processes: both auth modes
 * serve; forged, tampered, replayed (to the same host and to another), expired, unknown and
 * impersonating invocations are refused, counted in /metrics and seen by `wactor ctl watch`;
 * an untrusted host fails fast; a key revoked mid-load is cut within a heartbeat and no call
 * hangs; a restarted host gets a new session and calls resume.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encode } from "@msgpack/msgpack";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeyPair } from "../src/claims/nkeys.js";
import { isWactorError } from "../src/errors.js";
import { Host } from "../src/host/host.js";
import { LatticeHost, type JoinOptions } from "../src/lattice/lattice-host.js";
import { derivePairKeys, verifyAnnouncement } from "../src/lattice/sessions/session-crypto.js";
import { sealEnvelope } from "../src/lattice/sessions/session-envelope.js";
import { actor } from "./helpers/actors.js";
import { BIN } from "./helpers/cli.js";
import { codeOf } from "./helpers/code-of.js";
import { eventually } from "./helpers/eventually.js";
import { freePort, startNats, type ServerHandle } from "./helpers/servers.js";
import { SessionPeer } from "./helpers/session-peer.js";
import { startUp, stopUp, waitForOutput, type UpProcess } from "./helpers/up-process.js";
import { httpOk } from "./helpers/http-reply.js";

const HEARTBEAT_MS = 300;
const dir = mkdtempSync(join(tmpdir(), "wactor-sessions-"));
const cluster = KeyPair.create("cluster");
const partner = KeyPair.create("cluster"); // trusted by B through its file, revoked later
const outsider = KeyPair.create("cluster"); // trusted by nobody
const echo = actor("echo");
const ponger = actor("ponger");
const trustFile = join(dir, "trusted-clusters");
const request = encode({ method: "GET", path: "/s", queryString: "", header: {}, body: new Uint8Array(16) });

function manifest(name: string, actorPath: string): string {
  const path = join(dir, name);
  writeFileSync(path, `actors:\n  - ${actorPath}\n`);
  return path;
}

const hostIdOf = (up: UpProcess): string => /host=(N[A-Z2-7]{55})/.exec(up.stdout())![1]!;

describe("lattice host sessions", () => {
  let nats: ServerHandle;
  let b: UpProcess; // runs echo; trusts `partner` through its file
  let c: UpProcess; // runs ponger
  let bId: string;
  let cId: string;
  let metricsPort: number;
  let watch: ChildProcess;
  let watched = "";
  const procs: UpProcess[] = [];
  const members: Array<{ host: Host; lattice: LatticeHost }> = [];
  const peers: SessionPeer[] = [];

  const up = async (file: string, extra: string[] = []): Promise<UpProcess> => {
    const p = startUp([file, "--lattice", nats.url, "--cluster-seed", cluster.seed, "--heartbeat-ms", String(HEARTBEAT_MS), "--log-level", "warn", ...extra]);
    procs.push(p);
    await waitForOutput(p, "lattice  default");
    return p;
  };

  const member = async (seed: string, options: Partial<JoinOptions> = {}): Promise<LatticeHost> => {
    const logger = pino({ level: "silent" });
    const host = new Host({ logger });
    const lattice = await LatticeHost.join(host, {
      url: nats.url,
      clusterSeed: seed,
      trustedClusters: [cluster.publicKey],
      heartbeatMs: HEARTBEAT_MS,
      invocationTimeoutMs: 5000,
      logger,
      ...options,
    });
    members.push({ host, lattice });
    return lattice;
  };

  const peer = async (...args: Parameters<typeof SessionPeer.join>): Promise<SessionPeer> => {
    const p = await SessionPeer.join(...args);
    peers.push(p);
    return p;
  };

  const rejectedOnB = async (reason: string): Promise<number> => {
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const line = text.split("\n").find((l) => l.startsWith(`wactor_lattice_rejected_total{reason="${reason}"}`));
    return line ? Number(line.split(" ").pop()) : 0;
  };

  beforeAll(async () => {
    nats = await startNats({ jetstream: true });
    writeFileSync(trustFile, `# partners\n${partner.publicKey}\n`);
    metricsPort = await freePort();
    watch = spawn(process.execPath, [BIN, "ctl", "watch", "--lattice", nats.url, "--json"], { stdio: ["ignore", "pipe", "pipe"] });
    watch.stdout!.on("data", (chunk: Buffer) => (watched += chunk.toString()));
    b = await up(manifest("b.yaml", echo.signedPath), ["--metrics-port", String(metricsPort), "--trusted-clusters-file", trustFile]);
    c = await up(manifest("c.yaml", ponger.signedPath));
    [bId, cId] = [hostIdOf(b), hostIdOf(c)];
  });

  afterAll(async () => {
    for (const p of peers) await p.close();
    for (const m of members) {
      await m.lattice.leave();
      await m.host.shutdown();
    }
    for (const p of procs) await stopUp(p);
    // The watcher exits before NATS goes (a client draining towards a dead server would wait forever).
    if (watch && watch.exitCode === null) {
      const exited = new Promise((r) => watch.once("exit", r));
      watch.kill("SIGTERM");
      const killer = setTimeout(() => watch.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(killer);
    }
    await nats?.stop();
  });

  it("a host sends by session by default, by a JWT per call with invocationAuth jwt; both are served", async () => {
    const bySession = await member(cluster.seed);
    const byJwt = await member(cluster.seed, { invocationAuth: "jwt" });
    await eventually(async () => {
      await bySession.invoke(echo.publicKey, "HandleRequest", request);
      expect(bySession.sentCounts().session).toBeGreaterThan(0);
    });
    const before = bySession.sentCounts();
    for (let i = 0; i < 10; i++) httpOk(await bySession.invoke(echo.publicKey, "HandleRequest", request));
    expect(new TextDecoder().decode(await bySession.invoke(ponger.publicKey, "Ping", new TextEncoder().encode("x")))).toBe("pong:x");
    expect(bySession.sentCounts()).toEqual({ session: before.session + 11, jwt: before.jwt });
    for (let i = 0; i < 5; i++) httpOk(await byJwt.invoke(echo.publicKey, "HandleRequest", request));
    expect(byJwt.sentCounts()).toEqual({ session: 0, jwt: 5 });
  });

  it("refuses forged, tampered, replayed (to the same host and to another), unknown and impersonating invocations", async () => {
    const stranger = await peer(nats.url, { cluster, trusts: [], announce: false }); // hears sessions, never announced one
    const honest = await peer(nats.url, { cluster, trusts: [] });
    const mallory = await peer(nats.url, { cluster, trusts: [] }); // a trusted host gone bad
    for (const p of [stranger, honest, mallory]) await p.knows(bId);
    await honest.knows(cId);
    await eventually(async () => expect(await rejectedOnB("unknown-session")).toBe(0));

    const good = honest.seal(bId, echo.publicKey, "HandleRequest", request);
    const first = await honest.send(bId, good);
    expect(first.ok ? "ok" : `${first.code}: ${first.detail}`).toBe("ok");
    const replies = {
      replayed: await honest.send(bId, good),
      replayedElsewhere: await honest.send(cId, good),
      tamperedHeader: await honest.send(bId, flip(honest.seal(bId, echo.publicKey, "HandleRequest", request), "HandleRequest")),
      tamperedPayload: await honest.send(bId, flipLast(honest.seal(bId, echo.publicKey, "HandleRequest", request))),
      forgedTag: await honest.send(bId, forgeTag(honest.seal(bId, echo.publicKey, "HandleRequest", request), request.length)),
      unknownSession: await stranger.send(bId, stranger.seal(bId, echo.publicKey, "HandleRequest", request)),
      impersonation: await mallory.send(bId, impersonate(mallory, honest, bId)),
    };
    const expected = {
      replayed: "replayed",
      replayedElsewhere: "replayed",
      tamperedHeader: "bad-mac",
      tamperedPayload: "bad-mac",
      forgedTag: "bad-mac",
      unknownSession: "unknown-session",
      impersonation: "bad-mac",
    };
    for (const [name, reason] of Object.entries(expected)) {
      const reply = replies[name as keyof typeof replies];
      expect(reply, name).toMatchObject({ ok: false, code: "WACTOR_ERR_INVOCATION_REJECTED", detail: expect.stringContaining(reason) });
    }
    expect(replies.replayedElsewhere).toMatchObject({ detail: expect.stringContaining(`addressed to host ${bId}`) });
    // The honest peer's next call still passes: rejections cost the attacker, not the session.
    expect((await honest.send(bId, honest.seal(bId, echo.publicKey, "HandleRequest", request))).ok).toBe(true);

    await eventually(async () => {
      expect(await rejectedOnB("bad-mac")).toBe(4);
      expect(await rejectedOnB("replayed")).toBe(1);
      expect(await rejectedOnB("unknown-session")).toBe(1);
    });
    await eventually(() => {
      const events = rejections(watched);
      for (const reason of ["bad-mac", "replayed", "unknown-session"])
        expect(
          events.some((e) => e.hostId === bId && e.data.reason === reason),
          reason,
        ).toBe(true);
      expect(events.some((e) => e.hostId === cId && e.data.reason === "replayed")).toBe(true);
    });
  });

  it("refuses an invocation under a session that expired", async () => {
    // Sessions are dated in whole seconds: a 3 s lifetime leaves at least 2 s to seal in.
    const shortLived = await peer(nats.url, { cluster, trusts: [], lifetimeSeconds: 3 });
    await shortLived.knows(bId);
    const sealed = shortLived.seal(bId, echo.publicKey, "HandleRequest", request);
    const pastTolerance = shortLived.table.current.exp * 1000 + 2500 - Date.now(); // the receiver allows 2 s of clock skew
    await new Promise((r) => setTimeout(r, Math.max(0, pastTolerance)));
    expect(await shortLived.send(bId, sealed)).toMatchObject({ ok: false, code: "WACTOR_ERR_INVOCATION_REJECTED", detail: expect.stringContaining("expired") });
    await eventually(async () => expect(await rejectedOnB("expired")).toBe(1));
  });

  it("a host whose cluster key is not trusted is refused at once, with the reason", async () => {
    const untrusted = await member(outsider.seed);
    expect(await outcome(untrusted.invoke(echo.publicKey, "HandleRequest", request))).toMatchObject({
      ok: false,
      code: "WACTOR_ERR_INVOCATION_REJECTED",
      message: expect.stringContaining("does not trust"),
    });
    await eventually(async () => expect(await rejectedOnB("untrusted-issuer")).toBeGreaterThan(0));
  });

  it("a cluster key revoked under load: its calls fail within a heartbeat, with the reason, and none hangs", async () => {
    const revoked = await member(partner.seed);
    await eventually(async () => {
      await revoked.invoke(echo.publicKey, "HandleRequest", request);
      expect(revoked.sentCounts().session).toBeGreaterThan(0);
    });
    const outcomes: Outcome[] = [];
    let running = true;
    const worker = async () => {
      for (let i = 0; running && i < 2000; i++) {
        const result = await outcome(revoked.invoke(echo.publicKey, "HandleRequest", request));
        outcomes.push(result);
        if (!result.ok) await new Promise((r) => setTimeout(r, 5));
      }
    };
    const workers = Array.from({ length: 4 }, worker);
    try {
      await eventually(() => expect(outcomes.filter((o) => o.ok).length).toBeGreaterThan(50));
      writeFileSync(trustFile, "# partner revoked\n");
      const cutAt = outcomes.length;
      await eventually(() => expect(outcomes.slice(cutAt).some((o) => !o.ok)).toBe(true), { timeoutMs: HEARTBEAT_MS + 1500 });
      const firstFailure = outcomes.findIndex((o, i) => i >= cutAt && !o.ok);
      await eventually(() => expect(outcomes.length).toBeGreaterThan(firstFailure + 40));
      // Once cut, nothing of that host passes (in-flight calls of the moment aside).
      expect(outcomes.slice(firstFailure + 8).filter((o) => o.ok)).toEqual([]);
    } finally {
      running = false;
      await Promise.all(workers);
    }
    const failures = outcomes.filter((o) => !o.ok);
    expect(failures.length).toBeGreaterThan(0);
    expect(failures.filter((f) => f.code !== "WACTOR_ERR_INVOCATION_REJECTED")).toEqual([]);
    expect(failures.every((f) => /no longer trusted|does not trust/.test(f.message ?? ""))).toBe(true);
  });

  it("a restarted host has a new session: calls resume by session within 2 s of its start", async () => {
    const caller = await member(cluster.seed);
    await eventually(async () => {
      await caller.invoke(ponger.publicKey, "Ping", new Uint8Array());
      expect(caller.sentCounts().session).toBeGreaterThan(0);
    });
    await stopUp(c);
    // Down: the call fails at once, naming what is missing.
    expect(await codeOf(caller.invoke(ponger.publicKey, "Ping", new Uint8Array()))).toBe("WACTOR_ERR_LATTICE_NO_ACTOR");
    c = await up(manifest("c.yaml", ponger.signedPath));
    expect(hostIdOf(c)).not.toBe(cId);
    const before = caller.sentCounts().session;
    await eventually(
      async () => {
        expect(new TextDecoder().decode(await caller.invoke(ponger.publicKey, "Ping", new TextEncoder().encode("again")))).toBe("pong:again");
        expect(caller.sentCounts().session).toBeGreaterThan(before);
      },
      { timeoutMs: 2000 },
    );
  });
});

interface Outcome {
  ok: boolean;
  code?: string;
  message?: string;
}

async function outcome(call: Promise<unknown>): Promise<Outcome> {
  try {
    await call;
    return { ok: true };
  } catch (err) {
    return { ok: false, code: isWactorError(err) ? err.code : "not a WactorError", message: String((err as Error).message) };
  }
}

interface WatchedEvent {
  type: string;
  hostId: string;
  data: { reason?: string };
}

function rejections(text: string): WatchedEvent[] {
  return text
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as WatchedEvent)
    .filter((e) => e.type === "invocation_rejected");
}

/** Flips a bit in the first occurrence of `text` (a header field). */
function flip(envelope: Uint8Array, text: string): Uint8Array {
  const out = Buffer.from(envelope);
  out[out.indexOf(text) + 1]! ^= 1;
  return out;
}

function flipLast(envelope: Uint8Array): Uint8Array {
  const out = Buffer.from(envelope);
  out[out.length - 1]! ^= 1;
  return out;
}

/** Replaces the 32-byte MAC (just before the payload) with other bytes. */
function forgeTag(envelope: Uint8Array, payloadLength: number): Uint8Array {
  const out = Buffer.from(envelope);
  out.fill(0x5a, out.length - payloadLength - 32, out.length - payloadLength);
  return out;
}

/** The best a trusted host can do to pass as another: its own pair key, the victim's names. */
function impersonate(mallory: SessionPeer, victim: SessionPeer, toHost: string): Uint8Array {
  const target = verifyAnnouncement(mallory.tokens.get(toHost)!, "default", new Set([cluster.publicKey]), 2);
  const keys = derivePairKeys("default", mallory.table.current, target);
  const header = {
    fromSid: victim.table.current.sid,
    toSid: target.sid,
    origin: { kind: "actor" as const, key: victim.table.hostId },
    target: { kind: "actor" as const, key: echo.publicKey },
    operation: "HandleRequest",
    caller: undefined,
  };
  return sealEnvelope(header, 1_000, request, keys.send);
}
