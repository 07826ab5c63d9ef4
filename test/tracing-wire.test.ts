/**
 * The trace context in both lattice wire forms: a claim of the per-invocation JWT (signed),
 * and trailing fields of the session envelope's header (under its MAC). Untraced invocations
 * keep the older forms exactly, so hosts without tracing support read them as before.
 */
import { createSecretKey, randomBytes } from "node:crypto";
import { decode } from "@msgpack/msgpack";
import { describe, expect, it } from "vitest";
import { KeyPair } from "../src/claims/nkeys.js";
import { peekPayload } from "../src/lattice/wire/compact-jws.js";
import { InvocationSigner, InvocationVerifier, decodeInvocation, encodeInvocation, type Entity } from "../src/lattice/wire/invocation.js";
import { openEnvelope, sealEnvelope, verifyTag, type SessionHeader } from "../src/lattice/sessions/session-envelope.js";

const cluster = KeyPair.create("cluster");
const hostId = KeyPair.create("server").publicKey;
const origin: Entity = { kind: "capability", capabilityId: "wascc:http_server", binding: "default" };
const target: Entity = { kind: "actor", key: KeyPair.create("module").publicKey };
const msg = new Uint8Array([1, 2, 3]);
const trace = { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", tracestate: "vendor=x" };

describe("trace context in a JWT invocation", () => {
  const signer = new InvocationSigner({ clusterKey: cluster, hostId });
  const verifier = new InvocationVerifier({ trustedClusterKeys: [cluster.publicKey] });

  it("travels as signed claims and is given back by the verifier", () => {
    const inv = signer.sign(origin, target, "HandleRequest", msg, undefined, trace);
    expect(peekPayload(inv.encodedClaims)).toMatchObject(trace);
    expect(verifier.verify(decodeInvocation(encodeInvocation(inv))).trace).toEqual(trace);
  });

  it("an untraced invocation carries no trace claims", () => {
    const inv = signer.sign(origin, target, "HandleRequest", msg);
    expect(Object.keys(peekPayload(inv.encodedClaims) as object)).not.toContain("traceparent");
    expect(verifier.verify(decodeInvocation(encodeInvocation(inv))).trace).toBeUndefined();
  });
});

describe("trace context in a session envelope", () => {
  const key = createSecretKey(randomBytes(32));
  const header = (extra: Partial<SessionHeader> = {}): SessionHeader => ({
    fromSid: "s1",
    toSid: "s2",
    origin,
    target,
    operation: "HandleRequest",
    caller: undefined,
    ...extra,
  });
  const headerFields = (sealed: Uint8Array): unknown[] => decode(openEnvelope(sealed).signed.subarray(12)) as unknown[];

  it("is appended to the header under the MAC and read back", () => {
    const sealed = sealEnvelope(header({ trace }), 7, msg, key);
    expect(headerFields(sealed)).toHaveLength(8);
    const opened = openEnvelope(sealed);
    expect(verifyTag(opened, key)).toBe(true);
    expect(opened.header.trace).toEqual(trace);
    const { tracestate: _state, ...parentOnly } = trace;
    expect(openEnvelope(sealEnvelope(header({ trace: parentOnly }), 7, msg, key)).header.trace).toEqual(parentOnly);
  });

  it("an untraced envelope has the 6-field header", () => {
    const sealed = sealEnvelope(header(), 7, msg, key);
    expect(headerFields(sealed)).toHaveLength(6);
    expect(openEnvelope(sealed).header.trace).toBeUndefined();
  });

  it("a changed traceparent fails the MAC", () => {
    const sealed = Buffer.from(sealEnvelope(header({ trace }), 7, msg, key));
    const at = sealed.indexOf(Buffer.from("b7ad6b7169203331"));
    expect(at).toBeGreaterThan(0);
    sealed[at] = "c".charCodeAt(0);
    expect(verifyTag(openEnvelope(sealed), key)).toBe(false);
  });
});
