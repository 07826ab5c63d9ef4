/**
 * What every part of the control client shares: the connection, the lattice's subjects, the
 * signer of control requests, and the three ways of asking hosts (one host, every host, may I).
 * The parts (artifacts.ts, links.ts, invocations.ts) and control-client.ts build on it.
 */
import { ErrorCode as NatsErrorCode, NatsError, RequestStrategy } from "nats";
import type { KeyPair } from "../../claims/nkeys.js";
import { WactorError } from "../../errors.js";
import { findClaims } from "../state/actor-ref.js";
import type { ClaimsStore } from "../state/claims-store.js";
import type { LatticeConnection } from "../state/connection.js";
import { controlHeaders } from "../trust/control-auth.js";
import { decodeJson, encodeJson, unwrapReply } from "../wire/control-codec.js";
import type { ActorClaims, ControlReply } from "../wire/control-types.js";
import type { LatticeSubjects } from "../wire/subjects.js";

export class ControlBus {
  constructor(
    readonly conn: LatticeConnection,
    readonly subjects: LatticeSubjects,
    readonly claims: ClaimsStore,
    readonly timeoutMs: number,
    readonly signer: KeyPair | undefined,
  ) {}

  findClaims(ref: string): Promise<ActorClaims | undefined> {
    return findClaims(this.claims, ref);
  }

  /** The module key of an actor named by key or claims name (the ref itself when the lattice does not know it). */
  async actorKeyOf(ref: string): Promise<string> {
    return (await this.findClaims(ref))?.subject ?? ref;
  }

  /** One host's answer to a verb, or WACTOR_ERR_HOST_NOT_FOUND / WACTOR_ERR_LATTICE_TIMEOUT naming it. */
  async hostRequest<T>(hostId: string, verb: string, body: object): Promise<T> {
    try {
      const subject = this.subjects.hostControl(hostId, verb);
      const data = encodeJson(body);
      const reply = await this.conn.nc.request(subject, data, { timeout: this.timeoutMs, ...controlHeaders(this.signer, subject, data) });
      return unwrapReply<T>(reply.data);
    } catch (err) {
      if (err instanceof NatsError && err.code === NatsErrorCode.NoResponders) throw new WactorError("WACTOR_ERR_HOST_NOT_FOUND", hostId);
      if (err instanceof NatsError && err.code === NatsErrorCode.Timeout)
        throw new WactorError("WACTOR_ERR_LATTICE_TIMEOUT", `host ${hostId} did not answer '${verb}' within ${this.timeoutMs} ms`);
      throw err;
    }
  }

  /** Asks every host whether it takes this client's commands; the first refusal is thrown (an open lattice never refuses). */
  async authorize(what: string): Promise<void> {
    const replies = (await this.scatter(this.subjects.control("authorize"), new Uint8Array(), 1500, 200)).map((b) =>
      decodeJson<ControlReply<{ hostId: string }>>(b),
    );
    const refusal = replies.find((r) => !r.ok);
    if (refusal && !refusal.ok) throw new WactorError("WACTOR_ERR_CONTROL_REJECTED", `${what}: ${refusal.detail}`);
  }

  /** Request to many: collects answers until none came for a short while, within `windowMs`. */
  async scatter(subject: string, data: Uint8Array, windowMs: number, jitterMs = 400): Promise<Uint8Array[]> {
    const replies: Uint8Array[] = [];
    try {
      const iterator = await this.conn.nc.requestMany(subject, data, {
        strategy: RequestStrategy.JitterTimer,
        maxWait: windowMs,
        jitter: Math.min(jitterMs, windowMs),
        ...controlHeaders(this.signer, subject, data),
      });
      for await (const msg of iterator) {
        if (msg.data.length > 0) replies.push(msg.data);
      }
    } catch (err) {
      if (err instanceof NatsError && err.code === NatsErrorCode.NoResponders) return replies;
      throw err;
    }
    return replies;
  }
}
