/**
 * Host sessions over NATS: announcing this host's session (on join, on rotation, and to every
 * host that appears or asks), learning the peers', publishing what this host serves, and
 * cutting the sessions of cluster keys that lose trust. The per-call work is in SessionTable.
 */
import type { TraceCarrier } from "../../tracing/carrier.js";
import type { NatsConnection, Subscription } from "nats";
import type { Logger } from "pino";
import type { ActorIdentity } from "../../provider/contract.js";
import { decodeJson, encodeJson } from "../wire/control-codec.js";
import { InvocationRejected, type Entity, type RejectionReason, type VerifiedInvocation } from "../wire/invocation.js";
import { RouteTable } from "./route-table.js";
import type { OpenedEnvelope } from "./session-envelope.js";
import type { SessionTable } from "./session-table.js";
import type { LatticeSubjects } from "../wire/subjects.js";

export interface SessionsOptions {
  nc: NatsConnection;
  subjects: LatticeSubjects;
  table: SessionTable;
  logger: Logger;
  /** How often this host starts a new session (default hourly). */
  rotateMs: number;
  /** The lattice subjects this host serves now: its routes. */
  served: () => Iterable<string>;
  onRejected: (reason: RejectionReason, detail: string, fromHost: string) => void;
}

interface AnnounceWire {
  hostId?: unknown;
  token?: unknown;
  /** Asks every host that hears it to announce its own session back. */
  hello?: unknown;
}

interface RoutesWire {
  hostId?: unknown;
  subjects?: unknown;
}

/** The interface the RPC bus sends and serves session invocations through. */
export interface SessionPath {
  route(subject: string): string | undefined;
  /** `trace`: the W3C context the serving host continues (only while the sender traces). */
  seal(
    toHost: string,
    origin: Entity,
    target: Entity,
    operation: string,
    msg: Uint8Array,
    caller?: ActorIdentity,
    trace?: TraceCarrier,
  ): Uint8Array | undefined;
  verify(envelope: OpenedEnvelope): VerifiedInvocation;
  /** The host of a session, for reports; undefined when the session is unknown here. */
  hostOf(sid: string): string | undefined;
  dropRoute(subject: string, hostId: string): void;
  dropHost(hostId: string): void;
  /** The receiver did not know this host's session: announce it again (at most once a second). */
  resync(): void;
}

export class LatticeSessions implements SessionPath {
  readonly routes = new RouteTable();
  readonly #o: SessionsOptions;
  readonly #subs: Subscription[] = [];
  #rotation: NodeJS.Timeout | undefined;
  #routesPending = false;
  #lastResync = 0;
  #stopped = false;

  constructor(options: SessionsOptions) {
    this.#o = options;
  }

  start(): void {
    const { nc, subjects } = this.#o;
    this.#subs.push(
      nc.subscribe(subjects.sessions, { callback: (err, msg) => err || this.#onAnnounce(parse<AnnounceWire>(msg.data)) }),
      nc.subscribe(subjects.routes, { callback: (err, msg) => err || this.#onRoutes(parse<RoutesWire>(msg.data)) }),
    );
    this.announce(true);
    this.#rotation = setInterval(() => this.rotate(), this.#o.rotateMs);
    this.#rotation.unref();
  }

  /** Publishes an empty route list (senders stop addressing this host), then stops listening. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#rotation);
    this.#publish(this.#o.subjects.routes, { hostId: this.#o.table.hostId, subjects: [] });
    for (const sub of this.#subs.splice(0)) sub.unsubscribe();
  }

  /** A new session: announced before this host sends anything under it (NATS keeps one connection's order). */
  rotate(): void {
    this.#o.table.rotate();
    this.announce(false);
  }

  announce(hello: boolean): void {
    this.#publish(this.#o.subjects.sessions, { hostId: this.#o.table.hostId, token: this.#o.table.current.token, hello });
    this.routesChanged();
  }

  /** Publishes this host's routes once the current turn of the event loop has changed them all. */
  routesChanged(): void {
    if (this.#routesPending) return;
    this.#routesPending = true;
    setImmediate(() => {
      this.#routesPending = false;
      if (!this.#stopped) this.#publish(this.#o.subjects.routes, { hostId: this.#o.table.hostId, subjects: [...this.#o.served()] });
    });
  }

  /** Every heartbeat: drop expired sessions, republish the routes (a lost message heals). */
  tick(): void {
    this.#o.table.prune();
    this.routesChanged();
  }

  /** New trust list: sessions of keys no longer trusted are cut now; newly trusted hosts are asked to announce. */
  setTrusted(keys: Iterable<string>): string[] {
    const cut = this.#o.table.setTrusted(keys);
    for (const hostId of cut) this.routes.dropHost(hostId);
    if (cut.length > 0) this.#o.logger.warn({ hosts: cut }, "cut the sessions of hosts whose cluster key is no longer trusted");
    this.announce(true);
    return cut;
  }

  route(subject: string): string | undefined {
    return this.routes.pick(subject, (hostId) => this.#o.table.hasSession(hostId));
  }

  seal(
    toHost: string,
    origin: Entity,
    target: Entity,
    operation: string,
    msg: Uint8Array,
    caller?: ActorIdentity,
    trace?: TraceCarrier,
  ): Uint8Array | undefined {
    return this.#o.table.seal(toHost, origin, target, operation, msg, caller, trace);
  }

  verify(envelope: OpenedEnvelope): VerifiedInvocation {
    return this.#o.table.verify(envelope);
  }

  hostOf(sid: string): string | undefined {
    return this.#o.table.hostOf(sid);
  }

  dropRoute(subject: string, hostId: string): void {
    this.routes.drop(subject, hostId);
  }

  dropHost(hostId: string): void {
    this.routes.dropHost(hostId);
  }

  resync(): void {
    if (Date.now() - this.#lastResync < 1000) return;
    this.#lastResync = Date.now();
    this.announce(true);
  }

  #onAnnounce(m: AnnounceWire): void {
    if (typeof m.hostId !== "string" || typeof m.token !== "string" || m.hostId === this.#o.table.hostId) return;
    try {
      const { isNew } = this.#o.table.accept(m.token);
      // A host we did not know, or one asking: it needs our session too.
      if (isNew || m.hello === true) this.announce(false);
    } catch (err) {
      if (!(err instanceof InvocationRejected)) throw err;
      this.#o.onRejected(err.reason, err.detail ?? err.reason, m.hostId);
    }
  }

  #onRoutes(m: RoutesWire): void {
    if (typeof m.hostId !== "string" || m.hostId === this.#o.table.hostId || !Array.isArray(m.subjects)) return;
    this.routes.setHost(
      m.hostId,
      m.subjects.filter((s): s is string => typeof s === "string"),
    );
  }

  #publish(subject: string, body: object): void {
    if (!this.#o.nc.isClosed()) this.#o.nc.publish(subject, encodeJson(body));
  }
}

/** Anyone can publish on these subjects: garbage is ignored, never thrown into the NATS callback. */
function parse<T extends object>(bytes: Uint8Array): T {
  try {
    const value = decodeJson<unknown>(bytes);
    return (typeof value === "object" && value !== null ? value : {}) as T;
  } catch {
    return {} as T;
  }
}
