/**
 * Signed lattice commands and desired state (issue 20). One Ed25519 compact JWS format, as
 * invocations use (compact-jws.ts), for two things:
 * - a control request: the token travels in a NATS header and covers the subject, the SHA-256
 *   of the exact body, issued-at, expiry and a unique id (the replay guard remembers ids);
 * - a KV entry (link, application version): the token is the entry's value and carries the
 *   content itself, bound to its kind and KV key, with a millisecond stamp so an older signed
 *   version written back later is recognized as stale.
 * Signers are operator keys (`O…`) and, for what the reconciler and hosts do on the operator's
 * behalf, trusted cluster keys (`C…`); which issuers a check accepts is the caller's choice.
 */
import { createHash, randomUUID, type KeyObject } from "node:crypto";
import { isPublicKey, publicKeyObject, type KeyPair } from "../../claims/nkeys.js";
import { peekPayload, signCompact, verifyCompact } from "../wire/compact-jws.js";
import { ReplayGuard } from "../wire/invocation.js";

export type SignatureRejection = "unsigned" | "malformed" | "untrusted-issuer" | "bad-signature" | "expired" | "tampered" | "replayed" | "stale";

export type Verdict<T> = { ok: true; issuer: string; value: T } | { ok: false; reason: SignatureRejection; detail: string };

/** The NATS header that carries a control request's token. */
export const SIGNATURE_HEADER = "Wactor-Signature";
/** A control token is good for this long: transit plus clock skew, short enough to bound replay. */
const CONTROL_TTL_SECONDS = 30;
const CLOCK_TOLERANCE_SECONDS = 5;

const sha256 = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");
const encoder = new TextEncoder();

/** A key allowed to sign: operator keys, and cluster keys for what hosts do on the operator's behalf. */
export function isSigningKey(key: KeyPair): boolean {
  return key.type === "operator" || key.type === "cluster";
}

export function signControl(signer: KeyPair, subject: string, body: Uint8Array, now = Date.now()): string {
  const iat = Math.floor(now / 1000);
  return signCompact(
    { iss: signer.publicKey, jti: randomUUID(), iat, exp: iat + CONTROL_TTL_SECONDS, wactor: { kind: "control", sub: subject, hash: sha256(body) } },
    signer.privateKey,
  );
}

/** The bytes to store for a signed KV entry. */
export function signEntry(signer: KeyPair, kind: string, key: string, content: unknown, now = Date.now()): Uint8Array {
  return encoder.encode(signCompact({ iss: signer.publicKey, iat: Math.floor(now / 1000), wactor: { kind, sub: key, at: now, content } }, signer.privateKey));
}

/**
 * A host's own record (its ping answer and heartbeat), signed with its cluster key: a token
 * over the record's exact bytes, which travel beside it.
 */
export function signRecord(signer: KeyPair, kind: string, sub: string, content: Uint8Array, now = Date.now()): string {
  return signCompact({ iss: signer.publicKey, iat: Math.floor(now / 1000), wactor: { kind, sub, hash: sha256(content), at: now } }, signer.privateKey);
}

interface Payload {
  iss?: unknown;
  jti?: unknown;
  exp?: unknown;
  wactor?: { kind?: unknown; sub?: unknown; hash?: unknown; at?: unknown; content?: unknown };
}

export interface SignedEntry {
  content: unknown;
  /** When it was signed (ms): entries of one key are accepted in this order only. */
  at: number;
}

/** Checks tokens against a set of trusted signing keys (re-read on every check, so revocation is immediate). */
export class SignatureVerifier {
  readonly #trusted: () => ReadonlySet<string>;
  readonly #keys = new Map<string, KeyObject>();
  readonly #replays = new ReplayGuard((CONTROL_TTL_SECONDS + 2 * CLOCK_TOLERANCE_SECONDS) * 1000);

  constructor(trusted: () => ReadonlySet<string>) {
    this.#trusted = trusted;
  }

  verifyControl(token: string | undefined, subject: string, body: Uint8Array, now = Date.now()): Verdict<undefined> {
    if (!token) return reject("unsigned", `${subject}: the request carries no ${SIGNATURE_HEADER} header`);
    const checked = this.#check(token);
    if (!checked.ok) return checked;
    const { issuer, value: p } = checked;
    if (p.wactor?.kind !== "control" || typeof p.jti !== "string" || typeof p.exp !== "number")
      return reject("malformed", "not a control token (kind, jti, exp)");
    if (now / 1000 > p.exp + CLOCK_TOLERANCE_SECONDS) return reject("expired", `the token of ${issuer} expired`);
    if (p.wactor.sub !== subject) return reject("tampered", `signed for ${String(p.wactor.sub)}, received on ${subject}`);
    if (p.wactor.hash !== sha256(body)) return reject("tampered", "the body differs from what was signed");
    if (!this.#replays.admit(p.jti, now)) return reject("replayed", `request ${p.jti} was already received`);
    return { ok: true, issuer, value: undefined };
  }

  /** A stored entry: signed by a trusted key, for this kind and this key. Staleness is the reader's (it knows the last accepted). */
  verifyEntry(bytes: Uint8Array, kind: string, key: string): Verdict<SignedEntry> {
    const token = new TextDecoder().decode(bytes).trim();
    if (token.startsWith("{")) return reject("unsigned", `${kind} ${key} is plain JSON, not signed`);
    const checked = this.#check(token);
    if (!checked.ok) return checked;
    const w = checked.value.wactor;
    if (w?.kind !== kind || typeof w.at !== "number" || w.content === undefined) return reject("malformed", `not a signed ${kind} entry`);
    if (w.sub !== key) return reject("tampered", `signed for key ${String(w.sub)}, stored under ${key}`);
    return { ok: true, issuer: checked.issuer, value: { content: w.content, at: w.at } };
  }

  /** A host record: signed by a trusted key for this kind and subject, over these bytes, at most `maxAgeMs` ago. */
  verifyRecord(token: string | undefined, kind: string, sub: string, content: Uint8Array, maxAgeMs: number, now = Date.now()): Verdict<undefined> {
    if (!token) return reject("unsigned", `${kind} ${sub} carries no proof`);
    const checked = this.#check(token);
    if (!checked.ok) return checked;
    const w = checked.value.wactor;
    if (w?.kind !== kind || typeof w.at !== "number") return reject("malformed", `not a ${kind} record`);
    if (w.sub !== sub || w.hash !== sha256(content)) return reject("tampered", `the ${kind} record of ${sub} differs from what ${checked.issuer} signed`);
    if (now - w.at > maxAgeMs + CLOCK_TOLERANCE_SECONDS * 1000)
      return reject("expired", `the ${kind} record of ${sub} was signed ${Math.round((now - w.at) / 1000)} s ago`);
    return { ok: true, issuer: checked.issuer, value: undefined };
  }

  #check(token: string): Verdict<Payload> {
    const payload = peekPayload(token) as Payload | undefined;
    if (!payload) return reject("malformed", "not a compact Ed25519 JWS");
    const issuer = payload.iss;
    if (typeof issuer !== "string" || !(isPublicKey(issuer, "operator") || isPublicKey(issuer, "cluster")))
      return reject("malformed", "iss is not an operator or cluster key");
    if (!this.#trusted().has(issuer)) return reject("untrusted-issuer", `signed by ${issuer}, which is not trusted here`);
    const verified = verifyCompact(token, payload as Record<string, unknown>, this.#key(issuer));
    if (!verified.ok) return reject(verified.why, `${verified.detail} (issuer ${issuer})`);
    return { ok: true, issuer, value: payload };
  }

  #key(issuer: string): KeyObject {
    let key = this.#keys.get(issuer);
    if (!key) this.#keys.set(issuer, (key = publicKeyObject(issuer)));
    return key;
  }
}

/** Reads an entry that may be signed without checking anything: for open lattices (no trusted operator) and for display. */
export function readEntryUnchecked(bytes: Uint8Array): unknown {
  const text = new TextDecoder().decode(bytes).trim();
  if (text.startsWith("{")) return JSON.parse(text) as unknown;
  const payload = peekPayload(text) as Payload | undefined;
  if (payload?.wactor?.content === undefined) throw new Error("neither JSON nor a signed entry");
  return payload.wactor.content;
}

function reject<T>(reason: SignatureRejection, detail: string): Verdict<T> {
  return { ok: false, reason, detail };
}
