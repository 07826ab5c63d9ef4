/**
 * The signed envelope of control requests and stored entries (issue 20), without servers:
 * each way a token can be wrong gives its own reason; a reader accepts entries of one key in
 * signing order only and keeps the last good one in force; a stored entry is reported once;
 * the CLI finds its operator key by flag, environment or context file.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { headers, type KvEntry, type Msg } from "nats";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { KeyPair } from "../src/claims/nkeys.js";
import { operatorSigner, saveContext } from "../src/cli/operator-key.js";
import { ControlGate } from "../src/lattice/trust/control-auth.js";
import { EntryReader } from "../src/lattice/state/entry-reader.js";
import { LatticeTrust } from "../src/lattice/trust/lattice-trust.js";
import { SIGNATURE_HEADER, SignatureVerifier, signControl, signEntry } from "../src/lattice/trust/operator-signature.js";
import { RejectionReporter } from "../src/lattice/wire/rejections.js";
import { codeOf } from "./helpers/code-of.js";

const operator = KeyPair.create("operator");
const cluster = KeyPair.create("cluster");
const verifier = new SignatureVerifier(() => new Set([operator.publicKey, cluster.publicKey]));
const body = new TextEncoder().encode('{"key":"M","instances":2}');
const SUBJECT = "wactor.default.ctl.host.N1.scale_actor";
const reasonOf = (v: { ok: boolean; reason?: string }): string => (v.ok ? "ok" : v.reason!);

describe("signed control requests", () => {
  it("accepts an operator's and a trusted cluster's token once; every fault has its reason", () => {
    expect(reasonOf(verifier.verifyControl(signControl(operator, SUBJECT, body), SUBJECT, body))).toBe("ok");
    expect(reasonOf(verifier.verifyControl(signControl(cluster, SUBJECT, body), SUBJECT, body))).toBe("ok");
    const token = signControl(operator, SUBJECT, body);
    expect(reasonOf(verifier.verifyControl(token, SUBJECT, body))).toBe("ok");
    expect(reasonOf(verifier.verifyControl(token, SUBJECT, body))).toBe("replayed");
    expect(reasonOf(verifier.verifyControl(undefined, SUBJECT, body))).toBe("unsigned");
    expect(reasonOf(verifier.verifyControl("not.a.token", SUBJECT, body))).toBe("malformed");
    expect(reasonOf(verifier.verifyControl(signControl(KeyPair.create("operator"), SUBJECT, body), SUBJECT, body))).toBe("untrusted-issuer");
    expect(reasonOf(verifier.verifyControl(signControl(KeyPair.create("module"), SUBJECT, body), SUBJECT, body))).toBe("malformed");
    expect(reasonOf(verifier.verifyControl(signControl(operator, SUBJECT, body), "wactor.default.ctl.host.N2.scale_actor", body))).toBe("tampered");
    expect(reasonOf(verifier.verifyControl(signControl(operator, SUBJECT, body), SUBJECT, new TextEncoder().encode("{}")))).toBe("tampered");
    expect(reasonOf(verifier.verifyControl(signControl(operator, SUBJECT, body, Date.now() - 120_000), SUBJECT, body))).toBe("expired");
    const [h, p] = signControl(operator, SUBJECT, body).split(".");
    expect(reasonOf(verifier.verifyControl(`${h}.${p}.${Buffer.alloc(64).toString("base64url")}`, SUBJECT, body))).toBe("bad-signature");
  });

  it("trust: only operator keys may be listed as trusted operators", () => {
    expect(() => new LatticeTrust({ operators: [cluster.publicKey] })).toThrow(/not an operator public key/);
    expect(new LatticeTrust({ operators: [] }).enforcing).toBe(false);
    expect(new LatticeTrust({ operators: [operator.publicKey] }).enforcing).toBe(true);
  });
});

describe("the control gate", () => {
  const msg = (subject: string, token?: string): Msg => {
    const h = headers();
    if (token) h.set(SIGNATURE_HEADER, token);
    return { subject, data: body, headers: h } as unknown as Msg;
  };
  const PING = "wactor.default.ctl.ping";

  it("queries pass unsigned unless closed; commands always need a trusted signature; an open lattice checks nothing", async () => {
    const reporter = new RejectionReporter(pino({ level: "silent" }));
    const open = new ControlGate(new LatticeTrust({ operators: [operator.publicKey] }), reporter);
    const closed = new ControlGate(new LatticeTrust({ operators: [operator.publicKey], closeQueries: true }), reporter);
    const nobody = new ControlGate(new LatticeTrust({ operators: [] }), reporter);
    expect(() => open.check(msg(PING), "query")).not.toThrow();
    expect(await codeOf(Promise.resolve().then(() => closed.check(msg(PING), "query")))).toBe("WACTOR_ERR_CONTROL_REJECTED");
    expect(() => closed.check(msg(PING, signControl(operator, PING, body)), "query")).not.toThrow();
    expect(await codeOf(Promise.resolve().then(() => open.check(msg(SUBJECT), "command")))).toBe("WACTOR_ERR_CONTROL_REJECTED");
    expect(() => open.check(msg(SUBJECT, signControl(operator, SUBJECT, body)), "command")).not.toThrow();
    expect(() => nobody.check(msg(SUBJECT), "command")).not.toThrow();
    expect(reporter.counts()).toEqual({ "control:unsigned": 2 });
  });
});

describe("signed entries", () => {
  let revision = 0;
  const entry = (key: string, value: Uint8Array): KvEntry => ({ key, value, revision: ++revision, operation: "PUT" }) as unknown as KvEntry;
  const isLink = (v: unknown): v is { url: string } => typeof (v as { url?: unknown } | null)?.url === "string";

  it("refuses plain, misplaced and other-kind entries; takes one key's entries in signing order, keeping the last good one", () => {
    const reporter = new RejectionReporter(pino({ level: "silent" }));
    const reader = new EntryReader({ kind: "link", scope: "links", valid: isLink, verifier, reporter });
    const now = Date.now();
    expect(reader.read(entry("k", new TextEncoder().encode('{"url":"x"}')))).toBeUndefined();
    expect(reader.read(entry("k", signEntry(operator, "link", "other", { url: "x" })))).toBeUndefined();
    expect(reader.read(entry("k", signEntry(operator, "app", "k", { url: "x" })))).toBeUndefined();
    expect(reader.read(entry("k", signEntry(operator, "link", "k", { nope: 1 })))).toBeUndefined();
    expect(reader.read(entry("k", signEntry(operator, "link", "k", { url: "v2" }, now)))).toEqual({ url: "v2" });
    // An older signing written back is stale; the newer one stays in force.
    expect(reader.read(entry("k", signEntry(operator, "link", "k", { url: "v1" }, now - 1000)))).toEqual({ url: "v2" });
    expect(reader.read(entry("k", new Uint8Array([0xff])))).toEqual({ url: "v2" });
    expect(reporter.counts()).toEqual({ "links:unsigned": 1, "links:tampered": 1, "links:malformed": 3, "links:stale": 1 });
  });

  it("reports a stored entry once however often it is read; a new revision is a new report", () => {
    const reporter = new RejectionReporter(pino({ level: "silent" }));
    const seen: string[] = [];
    reporter.onReport((r) => seen.push(`${r.scope}:${r.reason}:${r.key}`));
    const reader = new EntryReader({ kind: "link", scope: "links", valid: isLink, reporter });
    const junk = entry("j", new Uint8Array([1, 2, 3]));
    for (let i = 0; i < 5; i++) expect(reader.read(junk)).toBeUndefined();
    expect(reader.read(entry("j", new Uint8Array([4])))).toBeUndefined();
    expect(seen).toEqual(["links:malformed:j", "links:malformed:j"]);
    // An open reader (no verifier) takes plain and signed entries alike.
    expect(reader.read(entry("p", new TextEncoder().encode('{"url":"plain"}')))).toEqual({ url: "plain" });
    expect(reader.read(entry("s", signEntry(KeyPair.create("operator"), "link", "s", { url: "signed" })))).toEqual({ url: "signed" });
  });
});

describe("the CLI's operator key", () => {
  it("flag, then WACTOR_OPERATOR_SEED, then the context file; a seed of another type is refused", async () => {
    const env = { WACTOR_CONTEXT_DIR: mkdtempSync(join(tmpdir(), "wactor-ctx-")) };
    expect(operatorSigner({}, env)).toBeUndefined();
    const stored = KeyPair.create("operator");
    saveContext("default", stored.seed, env);
    expect(operatorSigner({}, env)?.publicKey).toBe(stored.publicKey);
    expect(operatorSigner({}, { ...env, WACTOR_OPERATOR_SEED: operator.seed })?.publicKey).toBe(operator.publicKey);
    const flag = KeyPair.create("operator");
    expect(operatorSigner({ operatorSeed: flag.seed }, { ...env, WACTOR_OPERATOR_SEED: operator.seed })?.publicKey).toBe(flag.publicKey);
    expect(operatorSigner({ context: "absent" }, env)).toBeUndefined();
    expect(await codeOf(Promise.resolve().then(() => operatorSigner({ operatorSeed: cluster.seed }, env)))).toBe("WACTOR_ERR_OPERATOR_SEED");
    expect(await codeOf(Promise.resolve().then(() => saveContext("default", cluster.seed, env)))).toBe("WACTOR_ERR_OPERATOR_SEED");
  });
});
