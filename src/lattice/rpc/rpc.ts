/**
 * The RPC bus: actor and provider invocations between hosts over NATS request/reply.
 * Sending authenticates every invocation: with a session MAC, addressed to one host that
 * serves the target (round robin over the routes), or with a per-call JWT through the
 * target's queue group (`invocationAuth: "jwt"`, or while no session route is known).
 * Serving verifies either form, checks the link rule again and dispatches into the local
 * host. A target nobody serves fails at once (no responders), never hangs.
 */
import { ErrorCode as NatsErrorCode, NatsError, type Msg, type NatsConnection, type Subscription } from "nats";
import type { Logger } from "pino";
import { ERROR_CATALOG, WactorError, toWactorError, type ErrorCode } from "../../errors.js";
import type { CallOrigin, Host, RemoteRouter } from "../../host/host.js";
import type { ActorIdentity } from "../../provider/contract.js";
import {
  InvocationRejected,
  type InvocationReply,
  decodeInvocation,
  decodeReply,
  encodeInvocation,
  encodeReply,
  entityUrl,
  type Entity,
  type InvocationSigner,
  type InvocationVerifier,
  type RejectionReason,
  type VerifiedInvocation,
} from "../wire/invocation.js";
import type { TraceCarrier } from "../../tracing/carrier.js";
import { ATTR, SPAN } from "../../tracing/names.js";
import { HostLiveness, PROBE_ANSWER } from "./host-liveness.js";
import { NoResponders, RequestMux } from "./request-mux.js";
import { isSessionEnvelope, openEnvelope } from "../sessions/session-envelope.js";
import type { SessionPath } from "../sessions/sessions.js";
import type { LatticeSubjects } from "../wire/subjects.js";

const QUEUE = "wactor";

export interface RpcOptions {
  nc: NatsConnection;
  subjects: LatticeSubjects;
  host: Host;
  signer: InvocationSigner;
  verifier: InvocationVerifier;
  /** Verifies session invocations; `sendBySession` also sends by it (else every call carries a JWT). */
  sessions: SessionPath;
  sendBySession: boolean;
  /** This host's id: session invocations for it arrive on its own subject. */
  hostId: string;
  /** The set of served subjects changed (the sessions publish it as this host's routes). */
  onServedChanged?: () => void;
  logger: Logger;
  /** Deadline of a lattice call; longer than the default actor deadline so that one reports first. */
  timeoutMs?: number;
  onRejected?: (reason: RejectionReason, detail: string, fromHost: string) => void;
}

const entityOf = (origin: CallOrigin): Entity =>
  origin.kind === "actor" ? origin : { kind: "capability", capabilityId: origin.capabilityId, binding: origin.binding };

export class LatticeRpc implements RemoteRouter {
  readonly #o: RpcOptions;
  readonly #subscriptions = new Map<string, Subscription>();
  readonly rejected = new Map<RejectionReason, number>();
  /** Invocations sent, by how they were authenticated (a session attempt that fell back counts once, as jwt). */
  readonly sent = { session: 0, jwt: 0 };
  readonly #replies: Array<{ msg: Msg; reply: Uint8Array }> = [];
  readonly #mux: RequestMux;
  readonly #liveness: HostLiveness;

  constructor(options: RpcOptions) {
    this.#o = options;
    this.#mux = new RequestMux(options.nc);
    this.#liveness = new HostLiveness(this.#mux, (hostId) => options.sessions.dropHost(hostId));
  }

  // --- sending ---

  invokeActor(origin: CallOrigin, targetKey: string, operation: string, payload: Uint8Array): Promise<Uint8Array> {
    return this.#send(
      this.#o.subjects.actor(targetKey),
      entityOf(origin),
      { kind: "actor", key: targetKey },
      operation,
      payload,
      undefined,
      () => new WactorError("WACTOR_ERR_LATTICE_NO_ACTOR", `no host in lattice '${this.#o.subjects.lattice}' runs actor ${targetKey} (operation ${operation})`),
    );
  }

  callProvider(caller: ActorIdentity, capabilityId: string, binding: string, operation: string, payload: Uint8Array): Promise<Uint8Array> {
    const target: Entity = { kind: "capability", capabilityId, binding };
    return this.#send(
      this.#o.subjects.provider(capabilityId, binding, caller.key),
      { kind: "actor", key: caller.key },
      target,
      operation,
      payload,
      caller,
      () =>
        new WactorError(
          "WACTOR_ERR_LATTICE_NO_PROVIDER",
          `no host in lattice '${this.#o.subjects.lattice}' serves ${capabilityId} binding '${binding}' for actor ${caller.name ?? ""} ${caller.key} (operation ${operation}): no provider host runs, or the link failed there`,
        ),
    );
  }

  /** A traced call gets a client span whose context travels in the invocation's header. */
  #send(
    subject: string,
    origin: Entity,
    target: Entity,
    operation: string,
    payload: Uint8Array,
    caller: ActorIdentity | undefined,
    noResponders: () => WactorError,
  ): Promise<Uint8Array> {
    const tracing = this.#o.host.tracing;
    if (!tracing) return this.#sendWith(subject, origin, target, operation, payload, caller, noResponders, undefined);
    const attributes = { [ATTR.latticeTarget]: entityUrl(target), [ATTR.operation]: operation };
    return tracing.traced(SPAN.latticeSend(operation), "client", attributes, () =>
      this.#sendWith(subject, origin, target, operation, payload, caller, noResponders, tracing.inject()),
    );
  }

  /**
   * One `.then` per call rather than a chain of awaits: continuations that finish in the same
   * turn then publish in the same turn, and nats.js writes them to the socket together.
   */
  #sendWith(
    subject: string,
    origin: Entity,
    target: Entity,
    operation: string,
    payload: Uint8Array,
    caller: ActorIdentity | undefined,
    noResponders: () => WactorError,
    trace: TraceCarrier | undefined,
  ): Promise<Uint8Array> {
    const sessions = this.#o.sessions;
    const hostId = this.#o.sendBySession ? sessions.route(subject) : undefined;
    const sealed = hostId === undefined ? undefined : sessions.seal(hostId, origin, target, operation, payload, caller, trace);
    const byJwt = (): Promise<Uint8Array> => {
      this.sent.jwt++;
      const invocation = this.#o.signer.sign(origin, target, operation, payload, caller, trace);
      return this.#mux.request(subject, encodeInvocation(invocation), this.#timeoutMs).then(
        (data) => unwrap(decodeReply(data)),
        (err: unknown) => {
          throw err instanceof NoResponders ? noResponders() : err;
        },
      );
    };
    if (hostId === undefined || sealed === undefined) return byJwt();
    const hostSubject = this.#o.subjects.hostInvocations(hostId);
    this.#liveness.watch(hostSubject, hostId);
    return this.#mux.request(hostSubject, sealed, this.#timeoutMs).then(
      (data) => {
        const reply = decodeReply(data);
        // Refused before anything ran: the route or the session was stale. The queue group takes it, with a JWT.
        if (!reply.ok && reply.retry === "not-here") sessions.dropRoute(subject, hostId);
        else if (!reply.ok && reply.retry === "no-session") sessions.resync();
        else {
          this.sent.session++;
          return unwrap(reply);
        }
        return byJwt();
      },
      (err: unknown) => {
        if (!(err instanceof NoResponders)) throw err;
        sessions.dropHost(hostId);
        return byJwt();
      },
    );
  }

  get #timeoutMs(): number {
    return this.#o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  // --- serving ---

  /** Starts taking session invocations addressed to this host (whatever local target they name). */
  serveHost(): void {
    this.#subscribe(this.#o.subjects.hostInvocations(this.#o.hostId), false);
  }

  /** The actor and link subjects this host serves: its routes. */
  servedSubjects(): string[] {
    const own = this.#o.subjects.hostInvocations(this.#o.hostId);
    return [...this.#subscriptions.keys()].filter((s) => s !== own);
  }

  /** Starts taking invocations for a local actor (idempotent). */
  serveActor(actorKey: string): void {
    this.#subscribe(this.#o.subjects.actor(actorKey));
  }

  unserveActor(actorKey: string): void {
    this.#unsubscribe(this.#o.subjects.actor(actorKey));
  }

  /** Starts taking provider calls for a link applied on this host's provider. */
  serveLink(capabilityId: string, binding: string, actorKey: string): void {
    this.#subscribe(this.#o.subjects.provider(capabilityId, binding, actorKey));
  }

  unserveLink(capabilityId: string, binding: string, actorKey: string): void {
    this.#unsubscribe(this.#o.subjects.provider(capabilityId, binding, actorKey));
  }

  /** Subscriptions are flushed so a caller told "started" can reach the target at once. */
  async flush(): Promise<void> {
    await this.#o.nc.flush();
  }

  /** Fails the calls still waiting for a reply: the connection is closing. */
  closeRequests(): void {
    this.#liveness.stop();
    this.#mux.close();
  }

  close(): void {
    for (const sub of this.#subscriptions.values()) sub.unsubscribe();
    this.#subscriptions.clear();
    this.#o.onServedChanged?.();
  }

  #subscribe(subject: string, queue = true): void {
    if (this.#subscriptions.has(subject)) return;
    const sub = this.#o.nc.subscribe(subject, {
      ...(queue && { queue: QUEUE }),
      callback: (err, msg) => {
        if (err) return;
        // An empty request is a liveness probe (host-liveness.ts): the answer is that someone is here.
        if (msg.data.length === 0) return void msg.respond(PROBE_ANSWER);
        void this.#serve(msg.data).then((reply) => this.#respond(msg, reply));
      },
    });
    this.#subscriptions.set(subject, sub);
    this.#o.onServedChanged?.();
  }

  /**
   * Replies wait for the end of the current turn (process.nextTick runs once the microtasks
   * are drained), so the answers of invocations that finished together leave in one write.
   */
  #respond(msg: Msg, reply: Uint8Array): void {
    if (this.#replies.push({ msg, reply }) > 1) return;
    process.nextTick(() => {
      for (const r of this.#replies.splice(0)) r.msg.respond(r.reply);
    });
  }

  #unsubscribe(subject: string): void {
    this.#subscriptions.get(subject)?.unsubscribe();
    if (this.#subscriptions.delete(subject)) this.#o.onServedChanged?.();
  }

  async #serve(data: Uint8Array): Promise<Uint8Array> {
    let fromHost = "";
    let fromSid: string | undefined;
    try {
      let invocation: VerifiedInvocation;
      if (isSessionEnvelope(data)) {
        const envelope = openEnvelope(data);
        fromSid = envelope.header.fromSid;
        invocation = this.#o.sessions.verify(envelope);
        const subject = this.#subjectOf(invocation);
        // Addressed by a stale route: nothing ran, the sender retries through the queue group.
        if (!this.#subscriptions.has(subject))
          return encodeReply({ ok: false, code: "WACTOR_ERR_LATTICE_NO_ACTOR", detail: `host ${this.#o.hostId} does not serve ${subject}`, retry: "not-here" });
      } else {
        const raw = decodeInvocation(data);
        fromHost = raw.hostId;
        invocation = this.#o.verifier.verify(raw);
      }
      const tracing = this.#o.host.tracing;
      const verified = invocation;
      const reply = tracing
        ? await tracing.traced(
            SPAN.latticeServe(verified.operation),
            "server",
            { [ATTR.latticeTarget]: entityUrl(verified.target), [ATTR.operation]: verified.operation, [ATTR.latticeFromHost]: verified.hostId },
            () => this.#dispatch(verified),
            tracing.extract(verified.trace),
          )
        : await this.#dispatch(invocation);
      return encodeReply({ ok: true, msg: reply });
    } catch (err) {
      // A session names its host only through its announcement; an unknown one is reported by its id.
      if (err instanceof InvocationRejected) this.#reject(err, fromSid === undefined ? fromHost : (this.#o.sessions.hostOf(fromSid) ?? `session ${fromSid}`));
      const error = toWactorError(err);
      const retry = err instanceof InvocationRejected && err.reason === "unknown-session" ? { retry: "no-session" as const } : {};
      return encodeReply({ ok: false, code: error.code, detail: error.detail ?? "", ...retry });
    }
  }

  #subjectOf(inv: VerifiedInvocation): string {
    const { subjects } = this.#o;
    if (inv.target.kind === "actor") return subjects.actor(inv.target.key);
    return subjects.provider(inv.target.capabilityId, inv.target.binding, inv.caller?.key ?? (inv.origin.kind === "actor" ? inv.origin.key : ""));
  }

  #dispatch(inv: VerifiedInvocation): Promise<Uint8Array> {
    const host = this.#o.host;
    const { origin, target } = inv;
    if (target.kind === "actor") {
      // A provider delivers only to actors linked to it, whichever host it runs on.
      if (origin.kind === "capability" && !host.bindings.has(target.key, origin.capabilityId, origin.binding)) {
        return Promise.reject(new WactorError("WACTOR_ERR_NOT_BOUND", `${origin.capabilityId} '${origin.binding}' -> ${target.key}`));
      }
      return host.invoke(target.key, inv.operation, inv.msg);
    }
    if (origin.kind !== "actor" || !inv.caller || inv.caller.key !== origin.key) {
      return Promise.reject(new InvocationRejected("malformed", "a capability call must come from an actor the sending host vouches for"));
    }
    return host.callLocalProvider(inv.caller, target.capabilityId, target.binding, inv.operation, inv.msg);
  }

  #reject(err: InvocationRejected, fromHost: string): void {
    const count = (this.rejected.get(err.reason) ?? 0) + 1;
    this.rejected.set(err.reason, count);
    // Logged at the first occurrence of each reason and then every 1000th, so a flood cannot flood the log.
    if (count === 1 || count % 1000 === 0)
      this.#o.logger.warn({ reason: err.reason, fromHost, count }, `lattice invocation rejected: ${err.detail ?? err.reason}`);
    this.#o.onRejected?.(err.reason, err.detail ?? "", fromHost);
  }
}

const DEFAULT_TIMEOUT_MS = 15_000;

/** Sends one encoded invocation; "no-responders" when nobody listens on the subject. */
async function exchange(nc: NatsConnection, subject: string, data: Uint8Array, timeoutMs: number): Promise<InvocationReply | "no-responders"> {
  let reply;
  try {
    reply = await nc.request(subject, data, { timeout: timeoutMs });
  } catch (err) {
    if (err instanceof NatsError && err.code === NatsErrorCode.NoResponders) return "no-responders";
    throw requestError(err, subject, timeoutMs);
  }
  return decodeReply(reply.data);
}

function requestError(err: unknown, subject: string, timeoutMs: number): WactorError {
  if (err instanceof NatsError && err.code === NatsErrorCode.Timeout) return new WactorError("WACTOR_ERR_LATTICE_TIMEOUT", `${subject} after ${timeoutMs} ms`);
  return new WactorError("WACTOR_ERR_LATTICE_UNAVAILABLE", (err as Error).message);
}

/** The reply's payload, or its catalog error thrown. */
function unwrap(decoded: InvocationReply): Uint8Array {
  if (decoded.ok) return decoded.msg;
  // The remote host sent a catalog code and its detail; an unknown code is kept in the detail.
  throw isCatalogCode(decoded.code)
    ? new WactorError(decoded.code, decoded.detail)
    : new WactorError("WACTOR_ERR_GUEST_ERROR", `${decoded.code}: ${decoded.detail}`);
}

/** Sends one encoded invocation and returns the reply's payload, or throws its catalog error. */
export async function requestInvocation(
  nc: NatsConnection,
  subject: string,
  data: Uint8Array,
  timeoutMs: number,
  noResponders: () => WactorError,
): Promise<Uint8Array> {
  const reply = await exchange(nc, subject, data, timeoutMs);
  if (reply === "no-responders") throw noResponders();
  return unwrap(reply);
}

function isCatalogCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_CATALOG, code);
}
