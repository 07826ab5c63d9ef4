/**
 * Lattice invocations and their anti-forgery claims (docs/wascc-protocol.md §5). The sending host signs
 * a JWT with its cluster key over `invocation_hash` = SHA-256 upper-hex of
 * origin_url + target_url + msg; the receiver checks signature, trust, expiry, hash, both
 * URLs and that the token's subject is the invocation id, and refuses ids it has seen.
 */
import { createHash, randomUUID } from "node:crypto";
import { Decoder, Encoder } from "@msgpack/msgpack";
import type { KeyObject } from "node:crypto";
import { peekPayload, signCompact, verifyCompact } from "./compact-jws.js";
import { isPublicKey, publicKeyObject, type KeyPair } from "../../claims/nkeys.js";
import { WactorError } from "../../errors.js";
import type { ActorIdentity } from "../../provider/contract.js";
import { carrierOf, type TraceCarrier } from "../../tracing/carrier.js";

/** Either end of an invocation. */
// One encoder and decoder for the process: `encode()`/`decode()` would build (and allocate) one per call.
const encoder = new Encoder();
const decoder = new Decoder();
const encode = (value: unknown): Uint8Array => encoder.encode(value);
const decode = (bytes: Uint8Array): unknown => decoder.decode(bytes);

export type Entity = { kind: "actor"; key: string } | { kind: "capability"; capabilityId: string; binding: string };

export interface Invocation {
  origin: Entity;
  target: Entity;
  operation: string;
  msg: Uint8Array;
  id: string;
  /** Server key (`N…`) of the sending host. */
  hostId: string;
  encodedClaims: string;
}

/** What the receiver trusts after checking the claims. */
export interface VerifiedInvocation extends Omit<Invocation, "encodedClaims"> {
  /** Cluster key that signed it. */
  issuer: string;
  /** The calling actor as its own host vouches for it (capability targets only). */
  caller: ActorIdentity | undefined;
  /** The sender's W3C trace context, when it traces (signed or MAC'd with the rest). */
  trace?: TraceCarrier | undefined;
}

export type RejectionReason =
  "unsigned" | "malformed" | "untrusted-issuer" | "bad-signature" | "expired" | "tampered" | "replayed" | "unknown-session" | "bad-mac";

export class InvocationRejected extends WactorError {
  readonly reason: RejectionReason;
  constructor(reason: RejectionReason, detail: string) {
    super("WACTOR_ERR_INVOCATION_REJECTED", `${reason}: ${detail}`);
    this.reason = reason;
  }
}

export function entityUrl(entity: Entity): string {
  return entity.kind === "actor" ? `wasmbus://${entity.key}` : `wasmbus://${entity.capabilityId.replaceAll(":", "/")}/${entity.binding}`;
}

export function invocationHash(originUrl: string, targetUrl: string, msg: Uint8Array): string {
  return createHash("sha256").update(originUrl).update(targetUrl).update(msg).digest("hex").toUpperCase();
}

const urlsOf = (origin: Entity, target: Entity, operation: string): { originUrl: string; targetUrl: string } => ({
  originUrl: entityUrl(origin),
  targetUrl: `${entityUrl(target)}/${operation}`,
});

export interface SignerOptions {
  clusterKey: KeyPair;
  hostId: string;
  /** Lifetime of a token: long enough for transit and clock skew, short enough to limit replay. */
  ttlSeconds?: number;
}

/** Builds signed invocations for one host. */
export class InvocationSigner {
  readonly #options: Required<SignerOptions>;

  constructor(options: SignerOptions) {
    this.#options = { ttlSeconds: 5, ...options };
  }

  sign(origin: Entity, target: Entity, operation: string, msg: Uint8Array, caller?: ActorIdentity, trace?: TraceCarrier): Invocation {
    const id = randomUUID();
    const { originUrl, targetUrl } = urlsOf(origin, target, operation);
    const now = Math.floor(Date.now() / 1000);
    const payload: Record<string, unknown> = {
      iss: this.#options.clusterKey.publicKey,
      sub: id,
      iat: now,
      exp: now + this.#options.ttlSeconds,
      wascap: { origin_url: originUrl, target_url: targetUrl, hash: invocationHash(originUrl, targetUrl, msg) },
    };
    if (caller) payload.caller = { key: caller.key, name: caller.name, issuer: caller.issuer, caps: caller.caps };
    // Extra claims: hosts that do not trace ignore them.
    if (trace) {
      payload.traceparent = trace.traceparent;
      if (trace.tracestate !== undefined) payload.tracestate = trace.tracestate;
    }
    const encodedClaims = signCompact(payload, this.#options.clusterKey.privateKey);
    return { origin, target, operation, msg, id, hostId: this.#options.hostId, encodedClaims };
  }
}

/** Remembers invocation ids until their tokens expire; a second sighting is a replay. */
export class ReplayGuard {
  readonly #seen = new Map<string, number>();
  readonly #windowMs: number;

  constructor(windowMs: number) {
    this.#windowMs = windowMs;
  }

  /** True the first time an id is seen within the window. */
  admit(id: string, now = Date.now()): boolean {
    this.#prune(now);
    if (this.#seen.has(id)) return false;
    this.#seen.set(id, now + this.#windowMs);
    return true;
  }

  get size(): number {
    return this.#seen.size;
  }

  /** Entries are inserted in time order with one window, so expired ones sit at the front. */
  #prune(now: number): void {
    for (const [id, expires] of this.#seen) {
      if (expires > now) break;
      this.#seen.delete(id);
    }
  }
}

export interface VerifierOptions {
  /** Cluster public keys (`C…`) whose invocations are accepted (the host's own included). */
  trustedClusterKeys: Iterable<string>;
  /** Allowed clock difference between hosts. */
  clockToleranceSeconds?: number;
}

interface ClaimsPayload {
  iss?: unknown;
  sub?: unknown;
  exp?: unknown;
  wascap?: { origin_url?: unknown; target_url?: unknown; hash?: unknown };
  caller?: { key?: unknown; name?: unknown; issuer?: unknown; caps?: unknown };
  traceparent?: unknown;
  tracestate?: unknown;
}

export class InvocationVerifier {
  #trusted: Set<string>;
  readonly #keys = new Map<string, KeyObject>();
  readonly #tolerance: number;
  readonly #replays: ReplayGuard;

  constructor(options: VerifierOptions) {
    this.#trusted = new Set(options.trustedClusterKeys);
    this.#tolerance = options.clockToleranceSeconds ?? 2;
    // Tokens live a few seconds; remembering ids for a minute covers any accepted lifetime.
    this.#replays = new ReplayGuard(60_000 + this.#tolerance * 1000);
  }

  /** Replaces the trusted cluster keys (revocation takes effect with the next invocation). */
  setTrusted(keys: Iterable<string>): void {
    this.#trusted = new Set(keys);
  }

  /** Resolves with the trusted view of the invocation, or rejects with InvocationRejected. */
  verify(invocation: Invocation): VerifiedInvocation {
    const token = invocation.encodedClaims;
    if (!token) throw new InvocationRejected("unsigned", `invocation ${invocation.id} carries no claims`);
    const peeked = peekPayload(token) as ClaimsPayload | undefined;
    if (!peeked) throw new InvocationRejected("malformed", "the claims are not a compact Ed25519 JWT");
    const issuer = peeked.iss;
    if (typeof issuer !== "string" || !isPublicKey(issuer, "cluster")) throw new InvocationRejected("malformed", "iss is not a cluster key");
    if (!this.#trusted.has(issuer)) throw new InvocationRejected("untrusted-issuer", `signed by ${issuer}, which this host does not trust`);
    const checked = verifyCompact(token, peeked as Record<string, unknown>, this.#key(issuer));
    if (!checked.ok) throw new InvocationRejected(checked.why, `${checked.detail} (issuer ${issuer})`);
    const claims = checked.payload as ClaimsPayload;
    if (typeof claims.exp !== "number") throw new InvocationRejected("malformed", "the claims have no expiry");
    if (Date.now() / 1000 > claims.exp + this.#tolerance) throw new InvocationRejected("expired", `invocation ${invocation.id} expired`);
    const { originUrl, targetUrl } = urlsOf(invocation.origin, invocation.target, invocation.operation);
    const wascap = claims.wascap ?? {};
    if (claims.sub !== invocation.id) throw new InvocationRejected("tampered", "the token's subject is not the invocation id");
    if (wascap.origin_url !== originUrl || wascap.target_url !== targetUrl)
      throw new InvocationRejected("tampered", `origin or target differs from the signed ${String(wascap.origin_url)} -> ${String(wascap.target_url)}`);
    if (wascap.hash !== invocationHash(originUrl, targetUrl, invocation.msg))
      throw new InvocationRejected("tampered", "the payload does not match the signed hash");
    if (!this.#replays.admit(invocation.id)) throw new InvocationRejected("replayed", `invocation ${invocation.id} was already received`);
    const { encodedClaims: _claims, ...rest } = invocation;
    return { ...rest, issuer, caller: callerOf(claims.caller), trace: carrierOf(claims.traceparent, claims.tracestate) };
  }

  #key(issuer: string): KeyObject {
    let key = this.#keys.get(issuer);
    if (!key) this.#keys.set(issuer, (key = publicKeyObject(issuer)));
    return key;
  }
}

/** The calling actor's identity as a sending host vouches for it, from either wire form. */
export function callerOf(value: unknown): ActorIdentity | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const raw = value as { key?: unknown; name?: unknown; issuer?: unknown; caps?: unknown };
  if (typeof raw.key !== "string" || typeof raw.issuer !== "string" || !Array.isArray(raw.caps)) return undefined;
  const caps = raw.caps.filter((c): c is string => typeof c === "string");
  return { key: raw.key, issuer: raw.issuer, caps, ...(typeof raw.name === "string" && { name: raw.name }) };
}

// --- wire form (MessagePack, waSCC field names) ---

export interface EntityWire {
  actor?: string;
  capid?: string;
  binding?: string;
}

interface InvocationWire {
  origin: EntityWire;
  target: EntityWire;
  operation: string;
  msg: Uint8Array;
  id: string;
  host_id: string;
  encoded_claims: string;
}

export const entityToWire = (e: Entity): EntityWire => (e.kind === "actor" ? { actor: e.key } : { capid: e.capabilityId, binding: e.binding });

export function entityFromWire(raw: unknown): Entity {
  const w = (raw ?? {}) as EntityWire;
  if (typeof w.actor === "string") return { kind: "actor", key: w.actor };
  if (typeof w.capid === "string" && typeof w.binding === "string") return { kind: "capability", capabilityId: w.capid, binding: w.binding };
  throw new InvocationRejected("malformed", "an entity is neither an actor nor a capability");
}

export function encodeInvocation(inv: Invocation): Uint8Array {
  const wire: InvocationWire = {
    origin: entityToWire(inv.origin),
    target: entityToWire(inv.target),
    operation: inv.operation,
    msg: inv.msg,
    id: inv.id,
    host_id: inv.hostId,
    encoded_claims: inv.encodedClaims,
  };
  return encode(wire);
}

export function decodeInvocation(bytes: Uint8Array): Invocation {
  let w: Partial<InvocationWire>;
  try {
    w = decode(bytes) as Partial<InvocationWire>;
  } catch (err) {
    throw new InvocationRejected("malformed", `not MessagePack: ${(err as Error).message}`);
  }
  if (typeof w !== "object" || w === null || typeof w.operation !== "string" || !(w.msg instanceof Uint8Array) || typeof w.id !== "string") {
    throw new InvocationRejected("malformed", "missing operation, msg or id");
  }
  return {
    origin: entityFromWire(w.origin),
    target: entityFromWire(w.target),
    operation: w.operation,
    msg: w.msg,
    id: w.id,
    hostId: typeof w.host_id === "string" ? w.host_id : "",
    encodedClaims: typeof w.encoded_claims === "string" ? w.encoded_claims : "",
  };
}

/**
 * A reply on the lattice: the operation's bytes, or a catalog error that crossed hosts. `retry`
 * marks a session invocation refused before anything ran, which the sender may send again
 * by the queue group: the host does not serve the target ("not-here"), or did not know the
 * sender's session ("no-session").
 */
export type RetryHint = "not-here" | "no-session";
export type InvocationReply = { ok: true; msg: Uint8Array } | { ok: false; code: string; detail: string; retry?: RetryHint };

export function encodeReply(reply: InvocationReply): Uint8Array {
  if (reply.ok) return encode({ msg: reply.msg });
  return encode({ error: { code: reply.code, detail: reply.detail }, ...(reply.retry && { retry: reply.retry }) });
}

export function decodeReply(bytes: Uint8Array): InvocationReply {
  const w = decode(bytes) as { msg?: Uint8Array; error?: { code?: string; detail?: string }; retry?: unknown };
  if (w.error) {
    const retry = w.retry === "not-here" || w.retry === "no-session" ? { retry: w.retry as RetryHint } : {};
    return { ok: false, code: String(w.error.code ?? "WACTOR_ERR_INTERNAL"), detail: String(w.error.detail ?? ""), ...retry };
  }
  return { ok: true, msg: w.msg ?? new Uint8Array() };
}
