/**
 * The sessions one host knows: its own (the current one, and the previous ones until they
 * expire, so peers that have not heard of a rotation yet still get through) and its peers',
 * each with lazily derived pair keys, a send counter and a replay window. No I/O here: the
 * NATS side is `sessions.ts`.
 */
import type { KeyPair } from "../../claims/nkeys.js";
import type { ActorIdentity } from "../../provider/contract.js";
import { InvocationRejected, type Entity, type VerifiedInvocation } from "../wire/invocation.js";
import { createSession, derivePairKeys, verifyAnnouncement, type OwnSession, type PairKeys, type PeerSession } from "./session-crypto.js";
import type { TraceCarrier } from "../../tracing/carrier.js";
import { sealEnvelope, verifyTag, type OpenedEnvelope } from "./session-envelope.js";
import { SequenceWindow } from "./session-window.js";

export interface SessionTableOptions {
  lattice: string;
  hostKey: KeyPair;
  clusterKey: KeyPair;
  /** Cluster keys (`C…`) whose sessions are accepted, the host's own included. */
  trusted: Iterable<string>;
  lifetimeSeconds: number;
  clockToleranceSeconds?: number;
}

interface Pair {
  keys: PairKeys;
  nextSeq: number;
  window: SequenceWindow;
}

interface Peer {
  session: PeerSession;
  /** By own session id. */
  pairs: Map<string, Pair>;
}

export class SessionTable {
  readonly hostId: string;
  readonly #o: SessionTableOptions;
  readonly #tolerance: number;
  readonly #own = new Map<string, OwnSession>();
  readonly #peers = new Map<string, Peer>();
  readonly #latestByHost = new Map<string, string>();
  /** Sessions cut by a revocation, until they would have expired: their calls say why. */
  readonly #revoked = new Map<string, { clusterKey: string; hostId: string; exp: number }>();
  #trusted: Set<string>;
  #current: OwnSession;

  constructor(options: SessionTableOptions) {
    this.#o = options;
    this.hostId = options.hostKey.publicKey;
    this.#tolerance = options.clockToleranceSeconds ?? 2;
    this.#trusted = new Set(options.trusted);
    this.#current = this.rotate();
  }

  get current(): OwnSession {
    return this.#current;
  }

  get trusted(): ReadonlySet<string> {
    return this.#trusted;
  }

  /** A fresh session becomes current; the previous ones stay valid for receiving until they expire. */
  rotate(now = Date.now()): OwnSession {
    const session = createSession({
      lattice: this.#o.lattice,
      hostKey: this.#o.hostKey,
      clusterKey: this.#o.clusterKey,
      lifetimeSeconds: this.#o.lifetimeSeconds,
      now,
    });
    this.#own.set(session.sid, session);
    this.#current = session;
    return session;
  }

  /** Verifies a peer's announcement (throws InvocationRejected); `isNew` when this host had no live session of that peer. */
  accept(token: string, now = Date.now()): { session: PeerSession; isNew: boolean } {
    const session = verifyAnnouncement(token, this.#o.lattice, this.#trusted, this.#tolerance, now);
    if (session.hostId === this.hostId) return { session, isNew: false };
    const known = this.#peers.get(session.sid);
    if (known) return { session: known.session, isNew: false };
    const isNew = !this.hasSession(session.hostId, now);
    this.#peers.set(session.sid, { session, pairs: new Map() });
    const latest = this.#peers.get(this.#latestByHost.get(session.hostId) ?? "");
    if (!latest || latest.session.iat <= session.iat) this.#latestByHost.set(session.hostId, session.sid);
    return { session, isNew };
  }

  /** True when a live session of that peer host is known. */
  hasSession(hostId: string, now = Date.now()): boolean {
    const peer = this.#peers.get(this.#latestByHost.get(hostId) ?? "");
    return peer !== undefined && now / 1000 < peer.session.exp;
  }

  /** Replaces the trusted cluster keys; the sessions of keys no longer trusted are cut at once. Returns their hosts. */
  setTrusted(keys: Iterable<string>): string[] {
    this.#trusted = new Set(keys);
    const cut: string[] = [];
    for (const [sid, peer] of this.#peers) {
      if (this.#trusted.has(peer.session.clusterKey)) continue;
      this.#revoked.set(sid, { clusterKey: peer.session.clusterKey, hostId: peer.session.hostId, exp: peer.session.exp });
      this.#dropPeer(sid, peer);
      cut.push(peer.session.hostId);
    }
    return [...new Set(cut)];
  }

  /** Forgets a peer host (it left the lattice). */
  forget(hostId: string): void {
    for (const [sid, peer] of this.#peers) if (peer.session.hostId === hostId) this.#dropPeer(sid, peer);
  }

  /**
   * Drops expired sessions (own ones except the current, and peers'). Peers' are kept a minute
   * past expiry so that their late calls are refused as "expired", which says what happened.
   */
  prune(now = Date.now()): void {
    const limit = now / 1000 - this.#tolerance;
    for (const [sid, own] of this.#own) if (own !== this.#current && own.exp < limit) this.#own.delete(sid);
    for (const [sid, peer] of this.#peers) if (peer.session.exp < limit - 60) this.#dropPeer(sid, peer);
    for (const [sid, r] of this.#revoked) if (r.exp < limit) this.#revoked.delete(sid);
  }

  /** The envelope of an invocation to `toHost`, or undefined when no live session with it is known. */
  seal(
    toHost: string,
    origin: Entity,
    target: Entity,
    operation: string,
    msg: Uint8Array,
    caller?: ActorIdentity,
    trace?: TraceCarrier,
    now = Date.now(),
  ): Uint8Array | undefined {
    const peer = this.#peers.get(this.#latestByHost.get(toHost) ?? "");
    const own = this.#current;
    if (!peer || now / 1000 >= peer.session.exp || now / 1000 >= own.exp) return undefined;
    const pair = this.#pair(peer, own);
    return sealEnvelope({ fromSid: own.sid, toSid: peer.session.sid, origin, target, operation, caller, trace }, pair.nextSeq++, msg, pair.keys.send);
  }

  /** The host a session id belongs to, as its signed announcement says (own sessions included). */
  hostOf(sid: string): string | undefined {
    return this.#own.has(sid) ? this.hostId : (this.#peers.get(sid)?.session.hostId ?? this.#revoked.get(sid)?.hostId);
  }

  /** Checks an opened envelope; throws InvocationRejected with the reason. */
  verify(envelope: OpenedEnvelope, now = Date.now()): VerifiedInvocation {
    const h = envelope.header;
    const seq = envelope.seq;
    const revoked = this.#revoked.get(h.fromSid);
    if (revoked)
      throw new InvocationRejected(
        "untrusted-issuer",
        `session ${h.fromSid} of host ${revoked.hostId} was cut: cluster key ${revoked.clusterKey} is no longer trusted`,
      );
    const own = this.#own.get(h.toSid);
    if (!own) {
      // A session of another host: a call captured on its way there and replayed here.
      const addressee = this.#peers.get(h.toSid)?.session.hostId;
      if (addressee) throw new InvocationRejected("replayed", `invocation ${h.fromSid}.${seq} is addressed to host ${addressee}, not this one`);
      throw new InvocationRejected("unknown-session", `session ${h.toSid} of this host is unknown or expired`);
    }
    const peer = this.#peers.get(h.fromSid);
    if (!peer) throw new InvocationRejected("unknown-session", `no session ${h.fromSid} is known here`);
    const from = peer.session.hostId;
    if (!this.#trusted.has(peer.session.clusterKey))
      throw new InvocationRejected("untrusted-issuer", `session of host ${from} signed by ${peer.session.clusterKey}, which this host does not trust`);
    const seconds = now / 1000;
    if (seconds > peer.session.exp + this.#tolerance) throw new InvocationRejected("expired", `session ${h.fromSid} of host ${from} expired`);
    if (seconds > own.exp + this.#tolerance) throw new InvocationRejected("expired", `session ${h.toSid} of this host expired`);
    const pair = this.#pair(peer, own);
    if (!verifyTag(envelope, pair.keys.receive))
      throw new InvocationRejected(
        "bad-mac",
        `the MAC of invocation ${h.fromSid}.${seq} does not verify for session ${h.fromSid} of host ${from}: forged, or its header or payload tampered with`,
      );
    if (!pair.window.admit(seq))
      throw new InvocationRejected("replayed", `invocation ${h.fromSid}.${seq} was already received (or is older than the replay window)`);
    return {
      origin: h.origin,
      target: h.target,
      operation: h.operation,
      msg: envelope.msg,
      id: `${h.fromSid}.${seq}`,
      hostId: from,
      issuer: peer.session.clusterKey,
      caller: h.caller,
      trace: h.trace,
    };
  }

  #pair(peer: Peer, own: OwnSession): Pair {
    let pair = peer.pairs.get(own.sid);
    if (!pair) peer.pairs.set(own.sid, (pair = { keys: derivePairKeys(this.#o.lattice, own, peer.session), nextSeq: 0, window: new SequenceWindow() }));
    return pair;
  }

  #dropPeer(sid: string, peer: Peer): void {
    this.#peers.delete(sid);
    if (this.#latestByHost.get(peer.session.hostId) === sid) this.#latestByHost.delete(peer.session.hostId);
  }
}
