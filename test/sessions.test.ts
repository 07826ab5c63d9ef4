/** Host sessions without a network: announcements, pair keys, the MAC, the replay window, revocation, routes, the trust file. */
import { sign } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { KeyPair } from "../src/claims/nkeys.js";
import { signCompact } from "../src/lattice/wire/compact-jws.js";
import type { Entity } from "../src/lattice/wire/invocation.js";
import { derivePairKeys, verifyAnnouncement } from "../src/lattice/sessions/session-crypto.js";
import { openEnvelope, sealEnvelope } from "../src/lattice/sessions/session-envelope.js";
import { SessionTable } from "../src/lattice/sessions/session-table.js";
import { SequenceWindow } from "../src/lattice/sessions/session-window.js";
import { RouteTable } from "../src/lattice/sessions/route-table.js";
import { TrustFile } from "../src/lattice/trust/trust-file.js";

const LATTICE = "default";
const cluster = KeyPair.create("cluster");
const actorKey = KeyPair.create("module").publicKey;
const origin: Entity = { kind: "capability", capabilityId: "wascc:http_server", binding: "default" };
const target: Entity = { kind: "actor", key: actorKey };
const msg = new Uint8Array([1, 2, 3, 4]);

const table = (clusterKey = cluster, trusted: string[] = [cluster.publicKey], lifetimeSeconds = 3600) =>
  new SessionTable({ lattice: LATTICE, hostKey: KeyPair.create("server"), clusterKey, trusted, lifetimeSeconds });

/** Every table learns every other's session, as the announcements would do on NATS. */
function meet(...tables: SessionTable[]): void {
  for (const a of tables) for (const b of tables) if (a !== b) a.accept(b.current.token);
}

function rejection(fn: () => unknown): { code?: string; reason?: string; message?: string } {
  try {
    fn();
  } catch (err) {
    return err as { code: string; reason: string };
  }
  throw new Error("expected a rejection");
}

const open = (t: SessionTable, bytes: Uint8Array) => t.verify(openEnvelope(bytes));

describe("sequence window", () => {
  it("admits each number once, in any order within the window, and refuses older ones", () => {
    const w = new SequenceWindow(64);
    expect([0, 2, 1, 5, 3, 4].map((n) => w.admit(n))).toEqual([true, true, true, true, true, true]);
    expect([0, 5, 3].map((n) => w.admit(n))).toEqual([false, false, false]);
    expect(w.admit(1000)).toBe(true);
    expect(w.admit(1000 - 64)).toBe(false); // fell out of the window
    expect(w.admit(1000 - 63)).toBe(true);
    expect(w.admit(1000 - 63)).toBe(false);
    expect(w.admit(-1)).toBe(false);
    expect(w.admit(1.5)).toBe(false);
  });

  it("a slot reused after the window moved on is free again", () => {
    const w = new SequenceWindow(32);
    expect(w.admit(7)).toBe(true);
    expect(w.admit(39)).toBe(true); // same slot as 7, one window later
    expect(w.admit(40)).toBe(true);
    expect(w.admit(39)).toBe(false);
  });
});

describe("session announcements", () => {
  it("are verified once: both signatures, lattice, trust and dates", () => {
    const a = table();
    const peer = verifyAnnouncement(a.current.token, LATTICE, new Set([cluster.publicKey]), 2);
    expect(peer).toMatchObject({ hostId: a.hostId, clusterKey: cluster.publicKey, sid: a.current.sid });
    expect(rejection(() => verifyAnnouncement(a.current.token, "other", new Set([cluster.publicKey]), 2))).toMatchObject({ reason: "malformed" });
    expect(rejection(() => verifyAnnouncement(a.current.token, LATTICE, new Set(), 2))).toMatchObject({ reason: "untrusted-issuer" });
    expect(rejection(() => verifyAnnouncement(a.current.token, LATTICE, new Set([cluster.publicKey]), 2, Date.now() + 3600_000 + 10_000))).toMatchObject({
      reason: "expired",
    });
    expect(rejection(() => verifyAnnouncement("not.a.jwt", LATTICE, new Set([cluster.publicKey]), 2))).toMatchObject({ reason: "malformed" });
  });

  it("a holder of the cluster seed cannot announce a session in another host's name", () => {
    const victim = table();
    const forger = KeyPair.create("server");
    const payload = JSON.parse(Buffer.from(victim.current.token.split(".")[1]!, "base64url").toString()) as Record<string, unknown>;
    const fields = ["wactor-session-v1", LATTICE, payload.iss, payload.sub, payload.sid, payload.x25519, payload.iat, payload.exp].join("\n");
    const hsig = sign(null, Buffer.from(fields), forger.privateKey).toString("base64url");
    const forged = signCompact({ ...payload, hsig }, cluster.privateKey);
    expect(rejection(() => verifyAnnouncement(forged, LATTICE, new Set([cluster.publicKey]), 2))).toMatchObject({ reason: "bad-signature" });
    const tampered = signCompact({ ...payload, x25519: Buffer.alloc(32, 7).toString("base64url") }, cluster.privateKey);
    expect(rejection(() => verifyAnnouncement(tampered, LATTICE, new Set([cluster.publicKey]), 2))).toMatchObject({ reason: "bad-signature" });
  });
});

describe("session invocations", () => {
  it("round trip: the receiver gets origin, target, operation, payload and the caller", () => {
    const [a, b] = [table(), table()];
    meet(a!, b!);
    const caller = { key: actorKey, name: "kv", issuer: KeyPair.create("account").publicKey, caps: ["wascc:keyvalue"] };
    const inv = open(
      b!,
      a!.seal(b!.hostId, { kind: "actor", key: actorKey }, { kind: "capability", capabilityId: "wascc:keyvalue", binding: "default" }, "Get", msg, caller)!,
    );
    expect(inv).toMatchObject({ hostId: a!.hostId, issuer: cluster.publicKey, operation: "Get", caller, id: `${a!.current.sid}.0` });
    expect([...inv.msg]).toEqual([...msg]);
  });

  it("pair keys are directional and per pair", () => {
    const [a, b, c] = [table(), table(), table()];
    const bPeer = verifyAnnouncement(b!.current.token, LATTICE, new Set([cluster.publicKey]), 2);
    const cPeer = verifyAnnouncement(c!.current.token, LATTICE, new Set([cluster.publicKey]), 2);
    const ab = derivePairKeys(LATTICE, a!.current, bPeer);
    const ac = derivePairKeys(LATTICE, a!.current, cPeer);
    const exported = [ab.send, ab.receive, ac.send, ac.receive].map((k) => k.export().toString("hex"));
    expect(new Set(exported).size).toBe(4);
    const aPeer = verifyAnnouncement(a!.current.token, LATTICE, new Set([cluster.publicKey]), 2);
    expect(derivePairKeys(LATTICE, b!.current, aPeer).receive.export().equals(ab.send.export())).toBe(true);
  });

  it("rejects a tampered header, a tampered payload, a forged tag and a replay", () => {
    const [a, b] = [table(), table()];
    meet(a!, b!);
    const good = a!.seal(b!.hostId, origin, target, "HandleRequest", msg)!;
    const header = Buffer.from(good);
    header[header.indexOf("HandleRequest") + 4]! ^= 1; // a letter of the operation
    expect(rejection(() => open(b!, header))).toMatchObject({ code: "WACTOR_ERR_INVOCATION_REJECTED", reason: "bad-mac" });
    const payload = Buffer.from(good);
    payload[payload.length - 1]! ^= 1;
    expect(rejection(() => open(b!, payload))).toMatchObject({ reason: "bad-mac" }); // the tag covers the payload
    const forged = Buffer.from(good);
    forged.fill(0xaa, forged.length - msg.length - 32, forged.length - msg.length);
    expect(rejection(() => open(b!, forged))).toMatchObject({ reason: "bad-mac" });
    const sequence = Buffer.from(good);
    sequence[11]! ^= 1; // the sequence number, in the fixed prefix
    expect(rejection(() => open(b!, sequence))).toMatchObject({ reason: "bad-mac" });
    expect(open(b!, good).operation).toBe("HandleRequest");
    expect(rejection(() => open(b!, good))).toMatchObject({ reason: "replayed" });
  });

  it("decodes a header once and reuses it, frozen, for the next calls with the same bytes", () => {
    const [a, b] = [table(), table()];
    meet(a!, b!);
    const [first, second] = [0, 1].map(() => openEnvelope(a!.seal(b!.hostId, origin, target, "HandleRequest", msg)!));
    expect(second!.seq).toBe(first!.seq + 1);
    expect(second!.header).toBe(first!.header);
    expect(Object.isFrozen(first!.header) && Object.isFrozen(first!.header.target)).toBe(true);
    const other = openEnvelope(a!.seal(b!.hostId, origin, target, "Other", msg)!);
    expect(other.header).not.toBe(first!.header);
    expect(other.header.operation).toBe("Other");
    expect(openEnvelope(a!.seal(b!.hostId, origin, target, "HandleRequest", msg)!).header).toBe(first!.header);
    expect(b!.verify(second!).id).toBe(`${a!.current.sid}.${second!.seq}`);
  });

  it("an invocation for one host is refused by another, even one with a session with the sender", () => {
    const [a, b, c] = [table(), table(), table()];
    meet(a!, b!, c!);
    const toB = a!.seal(b!.hostId, origin, target, "HandleRequest", msg)!;
    expect(rejection(() => open(c!, toB))).toMatchObject({ reason: "replayed", message: expect.stringContaining(`addressed to host ${b!.hostId}`) });
  });

  it("a host with session keys with B cannot pass as A to B", () => {
    const [a, b, m] = [table(), table(), table()];
    meet(a!, b!, m!);
    const bPeer = verifyAnnouncement(b!.current.token, LATTICE, new Set([cluster.publicKey]), 2);
    const mKeys = derivePairKeys(LATTICE, m!.current, bPeer);
    const header = { fromSid: a!.current.sid, toSid: b!.current.sid, origin, target, operation: "HandleRequest", caller: undefined };
    expect(rejection(() => open(b!, sealEnvelope(header, 0, msg, mKeys.send)))).toMatchObject({ reason: "bad-mac" });
    // With its own session id the MAC holds, and the call is M's: the envelope names no host,
    // the receiver takes the sender's host from the session's signed announcement.
    expect(open(b!, sealEnvelope({ ...header, fromSid: m!.current.sid }, 0, msg, mKeys.send)).hostId).toBe(m!.hostId);
  });

  it("refuses unknown and expired sessions, and cuts revoked ones at once", () => {
    const other = KeyPair.create("cluster");
    const [a, b] = [table(), table(cluster, [cluster.publicKey, other.publicKey])];
    const stranger = table();
    stranger.accept(b!.current.token);
    expect(rejection(() => open(b!, stranger.seal(b!.hostId, origin, target, "Op", msg)!))).toMatchObject({ reason: "unknown-session" });
    meet(a!, b!);
    const sealed = a!.seal(b!.hostId, origin, target, "Op", msg)!;
    expect(rejection(() => b!.verify(openEnvelope(sealed), Date.now() + 3600_000 + 10_000))).toMatchObject({ reason: "expired" });
    const outsider = table(other, [other.publicKey, cluster.publicKey]);
    meet(outsider, b!);
    const early = outsider.seal(b!.hostId, origin, target, "Op", msg)!;
    const late = outsider.seal(b!.hostId, origin, target, "Op", msg)!;
    expect(open(b!, early).issuer).toBe(other.publicKey);
    expect(b!.setTrusted([cluster.publicKey])).toEqual([outsider.hostId]);
    expect(rejection(() => open(b!, late))).toMatchObject({ reason: "untrusted-issuer", message: expect.stringContaining("no longer trusted") });
    expect(rejection(() => b!.accept(outsider.current.token))).toMatchObject({ reason: "untrusted-issuer" });
    expect(b!.hasSession(outsider.hostId)).toBe(false);
  });

  it("after a rotation the sender uses the new session and the receiver still takes calls under the old one", () => {
    const [a, b] = [table(), table()];
    meet(a!, b!);
    const underOld = a!.seal(b!.hostId, origin, target, "Op", msg)!;
    const oldSid = b!.current.sid;
    b!.rotate();
    a!.accept(b!.current.token);
    expect(open(b!, underOld).id).toMatch(/\.0$/);
    const underNew = openEnvelope(a!.seal(b!.hostId, origin, target, "Op", msg)!);
    expect(underNew.header.toSid).not.toBe(oldSid);
    expect(b!.verify(underNew).operation).toBe("Op");
  });
});

describe("routes and the trust file", () => {
  it("routes pick the serving hosts round robin, skipping those without a session, and forget what is dropped", () => {
    const routes = new RouteTable();
    routes.setHost("N1", ["s.a", "s.b"]);
    routes.setHost("N2", ["s.a"]);
    expect([1, 2, 3, 4].map(() => routes.pick("s.a", () => true))).toEqual(["N1", "N2", "N1", "N2"]);
    expect(routes.pick("s.a", (h) => h === "N2")).toBe("N2");
    expect(routes.pick("s.c", () => true)).toBeUndefined();
    routes.drop("s.a", "N1");
    expect(routes.hostsOf("s.a")).toEqual(["N2"]);
    routes.setHost("N2", []);
    expect(routes.pick("s.a", () => true)).toBeUndefined();
    routes.dropHost("N1");
    expect(routes.hostsOf("s.b")).toEqual([]);
  });

  it("the trust file is read when it changes; a bad entry is named; a removed file trusts nobody more", () => {
    const dir = mkdtempSync(join(tmpdir(), "wactor-trust-"));
    const path = join(dir, "trusted");
    const [k1, k2] = [KeyPair.create("cluster").publicKey, KeyPair.create("cluster").publicKey];
    writeFileSync(path, `# partners\n${k1} ${k2}\n\n`);
    const file = new TrustFile(path);
    expect(file.read()).toEqual([k1, k2]);
    expect(file.poll()).toBeUndefined();
    writeFileSync(path, `${k1}\n# ${k2} revoked\n`);
    expect(file.poll()).toEqual([k1]);
    writeFileSync(path, `${k1}\n${KeyPair.create("account").publicKey}\n`);
    expect(rejection(() => file.poll())).toMatchObject({ code: "WACTOR_ERR_KEY_TYPE" });
    rmSync(path);
    expect(file.poll()).toEqual([]);
    expect(rejection(() => new TrustFile(path).read())).toMatchObject({ code: "WACTOR_ERR_BAD_ARGUMENT" });
  });
});
