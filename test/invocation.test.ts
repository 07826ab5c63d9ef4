/** Anti-forgery claims on lattice invocations (docs/wascc-protocol.md §5): what a receiving host accepts and rejects. */
import { createHash } from "node:crypto";
import { SignJWT, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { KeyPair, publicKeyObject } from "../src/claims/nkeys.js";
import {
  InvocationSigner,
  InvocationVerifier,
  ReplayGuard,
  decodeInvocation,
  encodeInvocation,
  entityUrl,
  invocationHash,
  type Entity,
  type Invocation,
} from "../src/lattice/wire/invocation.js";

const cluster = KeyPair.create("cluster");
const hostId = KeyPair.create("server").publicKey;
const actorKey = KeyPair.create("module").publicKey;
const origin: Entity = { kind: "capability", capabilityId: "wascc:http_server", binding: "default" };
const target: Entity = { kind: "actor", key: actorKey };
const msg = new Uint8Array([1, 2, 3]);

const signer = (key = cluster, ttlSeconds = 5) => new InvocationSigner({ clusterKey: key, hostId, ttlSeconds });
const verifier = () => new InvocationVerifier({ trustedClusterKeys: [cluster.publicKey] });

describe("invocation claims", () => {
  it("uses the spec's URLs and hash", () => {
    expect(entityUrl(target)).toBe(`wasmbus://${actorKey}`);
    expect(entityUrl({ kind: "capability", capabilityId: "wascc:keyvalue", binding: "default" })).toBe("wasmbus://wascc/keyvalue/default");
    const expected = createHash("sha256")
      .update(Buffer.concat([Buffer.from("o"), Buffer.from("t"), Buffer.from(msg)]))
      .digest("hex")
      .toUpperCase();
    expect(invocationHash("o", "t", msg)).toBe(expected);
  });

  it("accepts a signed invocation after a wire round trip, with the caller its host vouches for", async () => {
    const caller = { key: actorKey, name: "kv", issuer: KeyPair.create("account").publicKey, caps: ["wascc:keyvalue"] };
    const inv = await signer().sign(
      { kind: "actor", key: actorKey },
      { kind: "capability", capabilityId: "wascc:keyvalue", binding: "default" },
      "Get",
      msg,
      caller,
    );
    const verified = await verifier().verify(decodeInvocation(encodeInvocation(inv)));
    expect(verified).toMatchObject({ id: inv.id, issuer: cluster.publicKey, operation: "Get", caller, hostId });
    expect(verified.msg).toEqual(msg);
  });

  const rejects = async (inv: Invocation, reason: string, v = verifier()) => {
    let error: unknown;
    try {
      v.verify(inv);
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ code: "WACTOR_ERR_INVOCATION_REJECTED", reason });
  };

  it("writes standard JWTs: jose verifies ours, and ours verifies one jose signed", async () => {
    const inv = await signer().sign(origin, target, "HandleRequest", msg);
    const { payload, protectedHeader } = await jwtVerify(inv.encodedClaims, publicKeyObject(cluster.publicKey), { algorithms: ["Ed25519"] });
    expect(protectedHeader.alg).toBe("Ed25519");
    expect(payload).toMatchObject({ iss: cluster.publicKey, sub: inv.id });
    const claims = JSON.parse(Buffer.from(inv.encodedClaims.split(".")[1]!, "base64url").toString()) as Record<string, unknown>;
    const byJose = await new SignJWT(claims).setProtectedHeader({ typ: "jwt", alg: "Ed25519" }).sign(cluster.privateKey);
    expect(verifier().verify({ ...inv, encodedClaims: byJose }).id).toBe(inv.id);
  });

  it("rejects an unsigned invocation", async () => {
    const inv = await signer().sign(origin, target, "HandleRequest", msg);
    await rejects({ ...inv, encodedClaims: "" }, "unsigned");
  });

  it("rejects a tampered payload, operation, target, origin or id", async () => {
    const inv = await signer().sign(origin, target, "HandleRequest", msg);
    await rejects({ ...inv, msg: new Uint8Array([9, 9, 9]) }, "tampered");
    await rejects({ ...inv, operation: "Other" }, "tampered");
    await rejects({ ...inv, target: { kind: "actor", key: KeyPair.create("module").publicKey } }, "tampered");
    await rejects({ ...inv, origin: { kind: "capability", capabilityId: "wascc:http_server", binding: "admin" } }, "tampered");
    await rejects({ ...inv, id: "another-id" }, "tampered");
  });

  it("rejects an expired invocation", async () => {
    const inv = await signer(cluster, -30).sign(origin, target, "HandleRequest", msg);
    await rejects(inv, "expired");
  });

  it("rejects a replay of an accepted invocation", async () => {
    const v = verifier();
    const inv = await signer().sign(origin, target, "HandleRequest", msg);
    await v.verify(inv);
    await rejects(inv, "replayed", v);
  });

  it("rejects an invocation signed by an untrusted cluster key", async () => {
    const inv = await signer(KeyPair.create("cluster")).sign(origin, target, "HandleRequest", msg);
    await rejects(inv, "untrusted-issuer");
  });

  it("rejects a token that names a trusted issuer but was signed by another key", async () => {
    const inv = await signer().sign(origin, target, "HandleRequest", msg);
    const payload = JSON.parse(Buffer.from(inv.encodedClaims.split(".")[1]!, "base64url").toString()) as Record<string, unknown>;
    const forged = await new SignJWT(payload).setProtectedHeader({ typ: "jwt", alg: "Ed25519" }).sign(KeyPair.create("cluster").privateKey);
    await rejects({ ...inv, encodedClaims: forged }, "bad-signature");
  });

  it("rejects alg none, HS256 and garbage tokens as malformed", async () => {
    const inv = await signer().sign(origin, target, "HandleRequest", msg);
    const [, body] = inv.encodedClaims.split(".");
    const none = `${Buffer.from(JSON.stringify({ alg: "none", typ: "jwt" })).toString("base64url")}.${body}.`;
    const hs = await new SignJWT({ iss: cluster.publicKey }).setProtectedHeader({ alg: "HS256" }).sign(new Uint8Array(32));
    for (const token of [none, hs, "not.a.token", "x"]) await rejects({ ...inv, encodedClaims: token }, "malformed");
  });

  it("rejects wire garbage as malformed", () => {
    expect(() => decodeInvocation(new Uint8Array([0xc1, 0xff]))).toThrow(/malformed/);
    expect(() => decodeInvocation(new Uint8Array([0x80]))).toThrow(/malformed/);
  });

  it("remembers ids for its window only", () => {
    const guard = new ReplayGuard(1000);
    expect(guard.admit("a", 0)).toBe(true);
    expect(guard.admit("a", 500)).toBe(false);
    expect(guard.admit("a", 1500)).toBe(true); // the first sighting expired
    guard.admit("b", 3000);
    expect(guard.size).toBe(1);
  });
});
