/**
 * The RPC bus: actor and provider invocations between hosts over NATS request/reply.
 * Sending signs every invocation; serving verifies it, checks the link rule again and
 * dispatches into the local host. Several hosts serving one target share the load through
 * a queue group; a target nobody serves fails at once (no responders), never hangs.
 */
import { ErrorCode as NatsErrorCode, NatsError, type NatsConnection, type Subscription } from "nats";
import type { Logger } from "pino";
import { ERROR_CATALOG, WactorError, toWactorError, type ErrorCode } from "../errors.js";
import type { CallOrigin, Host, RemoteRouter } from "../host/host.js";
import type { ActorIdentity } from "../host/provider.js";
import {
  InvocationRejected,
  decodeInvocation,
  decodeReply,
  encodeInvocation,
  encodeReply,
  type Entity,
  type InvocationSigner,
  type InvocationVerifier,
  type RejectionReason,
  type VerifiedInvocation,
} from "./invocation.js";
import type { LatticeSubjects } from "./subjects.js";

const QUEUE = "wactor";

export interface RpcOptions {
  nc: NatsConnection;
  subjects: LatticeSubjects;
  host: Host;
  signer: InvocationSigner;
  verifier: InvocationVerifier;
  logger: Logger;
  /** Deadline of a lattice call; longer than the default actor deadline so that one reports first. */
  timeoutMs?: number;
  onRejected?: (reason: RejectionReason, detail: string, fromHost: string) => void;
}

const entityOf = (origin: CallOrigin): Entity => (origin.kind === "actor" ? origin : { kind: "capability", capabilityId: origin.capabilityId, binding: origin.binding });

export class LatticeRpc implements RemoteRouter {
  readonly #o: RpcOptions;
  readonly #subscriptions = new Map<string, Subscription>();
  readonly rejected = new Map<RejectionReason, number>();

  constructor(options: RpcOptions) {
    this.#o = options;
  }

  // --- sending ---

  async invokeActor(origin: CallOrigin, targetKey: string, operation: string, payload: Uint8Array): Promise<Uint8Array> {
    const invocation = await this.#o.signer.sign(entityOf(origin), { kind: "actor", key: targetKey }, operation, payload);
    return this.#request(this.#o.subjects.actor(targetKey), encodeInvocation(invocation), () =>
      new WactorError("WACTOR_ERR_LATTICE_NO_ACTOR", `no host in lattice '${this.#o.subjects.lattice}' runs actor ${targetKey} (operation ${operation})`),
    );
  }

  async callProvider(caller: ActorIdentity, capabilityId: string, binding: string, operation: string, payload: Uint8Array): Promise<Uint8Array> {
    const target: Entity = { kind: "capability", capabilityId, binding };
    const invocation = await this.#o.signer.sign({ kind: "actor", key: caller.key }, target, operation, payload, caller);
    return this.#request(this.#o.subjects.provider(capabilityId, binding, caller.key), encodeInvocation(invocation), () =>
      new WactorError(
        "WACTOR_ERR_LATTICE_NO_PROVIDER",
        `no host in lattice '${this.#o.subjects.lattice}' serves ${capabilityId} binding '${binding}' for actor ${caller.name ?? ""} ${caller.key} (operation ${operation}): no provider host runs, or the link failed there`,
      ),
    );
  }

  #request(subject: string, data: Uint8Array, noResponders: () => WactorError): Promise<Uint8Array> {
    return requestInvocation(this.#o.nc, subject, data, this.#o.timeoutMs ?? 15_000, noResponders);
  }

  // --- serving ---

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

  close(): void {
    for (const sub of this.#subscriptions.values()) sub.unsubscribe();
    this.#subscriptions.clear();
  }

  #subscribe(subject: string): void {
    if (this.#subscriptions.has(subject)) return;
    const sub = this.#o.nc.subscribe(subject, {
      queue: QUEUE,
      callback: (err, msg) => {
        if (err) return;
        void this.#serve(msg.data).then((reply) => msg.respond(reply));
      },
    });
    this.#subscriptions.set(subject, sub);
  }

  #unsubscribe(subject: string): void {
    this.#subscriptions.get(subject)?.unsubscribe();
    this.#subscriptions.delete(subject);
  }

  async #serve(data: Uint8Array): Promise<Uint8Array> {
    let invocation: VerifiedInvocation | undefined;
    let fromHost = "";
    try {
      const raw = decodeInvocation(data);
      fromHost = raw.hostId;
      invocation = await this.#o.verifier.verify(raw);
      return encodeReply({ ok: true, msg: await this.#dispatch(invocation) });
    } catch (err) {
      if (err instanceof InvocationRejected) this.#reject(err, fromHost);
      const error = toWactorError(err);
      return encodeReply({ ok: false, code: error.code, detail: error.detail ?? "" });
    }
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
    if (count === 1 || count % 1000 === 0) this.#o.logger.warn({ reason: err.reason, fromHost, count }, `lattice invocation rejected: ${err.detail ?? err.reason}`);
    this.#o.onRejected?.(err.reason, err.detail ?? "", fromHost);
  }
}

/** Sends one encoded invocation and returns the reply's payload, or throws its catalog error. */
export async function requestInvocation(nc: NatsConnection, subject: string, data: Uint8Array, timeoutMs: number, noResponders: () => WactorError): Promise<Uint8Array> {
  let reply;
  try {
    reply = await nc.request(subject, data, { timeout: timeoutMs });
  } catch (err) {
    if (err instanceof NatsError && err.code === NatsErrorCode.NoResponders) throw noResponders();
    if (err instanceof NatsError && err.code === NatsErrorCode.Timeout) throw new WactorError("WACTOR_ERR_LATTICE_TIMEOUT", `${subject} after ${timeoutMs} ms`);
    throw new WactorError("WACTOR_ERR_LATTICE_UNAVAILABLE", (err as Error).message);
  }
  const decoded = decodeReply(reply.data);
  if (decoded.ok) return decoded.msg;
  // The remote host sent a catalog code and its detail; an unknown code is kept in the detail.
  throw isCatalogCode(decoded.code) ? new WactorError(decoded.code, decoded.detail) : new WactorError("WACTOR_ERR_GUEST_ERROR", `${decoded.code}: ${decoded.detail}`);
}

function isCatalogCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_CATALOG, code);
}

