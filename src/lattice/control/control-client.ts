/**
 * The typed client of the control interface: what `wactor ctl`, the deployer and the
 * dashboard use. Every call has a deadline; a host that does not answer is named. Placement
 * decisions live in placement.ts, the event stream in event-watch.ts, ref reading in actor-ref.ts.
 */
import { assertMayBind } from "../../claims/may-bind.js";
import { ErrorCode as NatsErrorCode, NatsError, RequestStrategy, type JetStreamClient } from "nats";
import { pino, type Logger } from "pino";
import { isPublicKey, KeyPair } from "../../claims/nkeys.js";
import { assertValidModule } from "../../claims/verify.js";
import { WactorError } from "../../errors.js";
import { normalizeBinding } from "../../provider/contract.js";
import { findClaims, objectNameOf } from "../state/actor-ref.js";
import { ArtifactStore, moduleDigest } from "../state/artifact-store.js";
import type { BucketHealth, LatticeBuckets } from "../state/buckets.js";
import { ClaimsStore } from "../state/claims-store.js";
import type { NatsAccess } from "../../nats/access.js";
import { decodeJson, encodeJson, unwrapReply } from "../wire/control-codec.js";
import { controlHeaders } from "../trust/control-auth.js";
import { isSigningKey, type SignatureVerifier } from "../trust/operator-signature.js";
import { checkSummary } from "../trust/host-record.js";
import type { RejectionReporter } from "../wire/rejections.js";
import type { ActorClaims, ControlReply, HostSummary, Inventory, LatticeEvent, LinkPutResult, LinkValidation, ProviderCommandResult } from "../wire/control-types.js";
import { connectLattice, type LatticeConnection } from "../state/connection.js";
import { encodeInvocation, InvocationSigner } from "../wire/invocation.js";
import { LinkStore, type Link } from "../state/link-store.js";
import type { Owner } from "../wire/ownership.js";
import { watchEvents } from "./event-watch.js";
import { chooseHost, hostsRunning } from "../state/placement.js";
import { requestInvocation } from "../rpc/rpc.js";
import { DEFAULT_LATTICE, latticeSubjects, type LatticeSubjects } from "../wire/subjects.js";
import { readModule } from "../../host/read-module.js";
import { isOciReference } from "../../oci/reference.js";
import { pullActorFromEnv } from "../../oci/registry.js";

export interface ClientOptions {
  url: string;
  lattice?: string;
  /** Deadline of a single control request. */
  timeoutMs?: number;
  /** Credentials, TLS, JetStream domain and replicas of the NATS connection. */
  access?: NatsAccess;
  /** Where dropped events are reported (default: warnings on stderr). */
  logger?: Logger;
  /**
   * Signs every control request and every link this client stores: an operator key (`O…`),
   * or a host's cluster key for what the host does on the operator's behalf (its reconciler,
   * its manifest's links). Without one, requests go unsigned (an open lattice takes them).
   */
  signer?: KeyPair;
  /**
   * Links are stored as plain JSON even with a signer: a host of an open lattice, so hosts of
   * earlier versions still read them (its control requests are signed all the same).
   */
  plainEntries?: boolean;
  /** Links read through this client are checked by it (the reconciler's), refusals reported. */
  linkVerifier?: SignatureVerifier;
  /** Ping answers without a good proof from a trusted cluster key are left out (the reconciler's). */
  hostVerifier?: SignatureVerifier;
  reporter?: RejectionReporter;
}

/** Where the lattice's state lives and how well replicated it is (`wactor ctl get lattice`). */
export interface LatticeState {
  lattice: string;
  /** The NATS server this client is connected to, and its cluster when it has one. */
  server: { name: string; version: string; cluster?: string; jsDomain?: string };
  buckets: BucketHealth[];
}

export interface Placement {
  hostId?: string;
  /** Host labels that must match (key -> value). */
  constraints?: Record<string, string>;
  /** The application this placement belongs to (the reconciler's); the host records it. */
  owner?: Owner;
}

export interface ActorPlacementResult {
  hostId: string;
  key: string;
  name?: string;
  instances?: number;
}

export class ControlClient {
  readonly subjects: LatticeSubjects;
  readonly #conn: LatticeConnection;
  readonly #links: LinkStore;
  readonly #claims: ClaimsStore;
  readonly #artifacts: ArtifactStore;
  readonly #timeoutMs: number;
  readonly #logger: Logger | undefined;
  readonly #signer: KeyPair | undefined;
  readonly #hostVerifier: SignatureVerifier | undefined;
  readonly #reporter: RejectionReporter | undefined;

  private constructor(conn: LatticeConnection, subjects: LatticeSubjects, stores: { links: LinkStore; claims: ClaimsStore; artifacts: ArtifactStore }, options: ClientOptions) {
    this.#conn = conn;
    this.subjects = subjects;
    this.#links = stores.links;
    this.#claims = stores.claims;
    this.#artifacts = stores.artifacts;
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#logger = options.logger;
    this.#signer = options.signer;
    this.#hostVerifier = options.hostVerifier;
    this.#reporter = options.reporter;
  }

  static async connect(options: ClientOptions): Promise<ControlClient> {
    const subjects = latticeSubjects(options.lattice ?? DEFAULT_LATTICE);
    if (options.signer && !isSigningKey(options.signer)) throw new WactorError("WACTOR_ERR_OPERATOR_SEED", `a ${options.signer.type} key cannot sign control requests: use an operator seed (SO…)`);
    const conn = await connectLattice(options.url, "wactor ctl", { ...(options.access && { access: options.access }), ...(options.logger && { logger: options.logger }) });
    try {
      const [links, claims, artifacts] = await Promise.all([
        LinkStore.open(conn.buckets, subjects.linksBucket, {
          ...(options.signer && !options.plainEntries && { signer: options.signer }),
          ...(options.linkVerifier && { verifier: options.linkVerifier }),
          ...(options.reporter && { reporter: options.reporter }),
        }),
        ClaimsStore.open(conn.buckets, subjects.claimsBucket, options.reporter),
        ArtifactStore.open(conn.buckets, subjects.actorsBucket),
      ]);
      return new ControlClient(conn, subjects, { links, claims, artifacts }, options);
    } catch (err) {
      await conn.close();
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.#conn.close();
  }

  /** Every host that answers a ping within the window (it closes `jitterMs` after the last answer). */
  async getHosts(windowMs = 1500, jitterMs = 400): Promise<HostSummary[]> {
    const replies = await this.#scatter(this.subjects.control("ping"), new Uint8Array(), windowMs, jitterMs);
    const hosts = replies.map((bytes) => unwrapReply<HostSummary>(bytes)).filter((h) => this.#proven(h));
    return hosts.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  }

  /** Reported once per host id (revision 0): a forged responder answers every ping. */
  #proven(summary: HostSummary): boolean {
    if (!this.#hostVerifier) return true;
    const verdict = checkSummary(this.#hostVerifier, summary);
    if (!verdict.ok) this.#reporter?.report({ scope: "hosts", reason: verdict.reason, key: String(summary.id), revision: 0, detail: verdict.detail });
    return verdict.ok;
  }

  getInventory(hostId: string): Promise<Inventory> {
    return this.#hostRequest<Inventory>(hostId, "inventory", {});
  }

  getClaims(): Promise<ActorClaims[]> {
    return this.#claims.list();
  }

  /**
   * Starts an actor from a .wasm file (uploaded to the object store first, after its claims
   * verify here) or from a ref the lattice knows (hash, module key, claims name).
   */
  async startActor(source: { path: string } | { ref: string }, placement: Placement & { instances?: number } = {}): Promise<ActorPlacementResult> {
    let ref: string;
    let key: string | undefined;
    if ("path" in source) {
      const bytes = await readModule(source.path);
      const { claims } = await assertValidModule(bytes);
      ref = await this.#artifacts.put(claims.hash, bytes);
      key = claims.subject;
    } else {
      ref = source.ref;
      key = (await this.#findClaims(source.ref))?.subject;
    }
    const hostId = placement.hostId ?? chooseHost(await this.getHosts(), placement.constraints ?? {}, key);
    return this.#hostRequest<ActorPlacementResult>(hostId, "start_actor", { ref, ...(placement.instances !== undefined && { instances: placement.instances }), ...(placement.owner && { owner: placement.owner }) });
  }

  /** Uploads a signed module after verifying its claims here; returns its digest (object-store name) and claims. */
  async uploadModule(path: string): Promise<{ digest: string; claims: ActorClaims }> {
    return this.#store(await readModule(path));
  }

  async #store(bytes: Uint8Array): Promise<{ digest: string; claims: ActorClaims }> {
    const { claims } = await assertValidModule(bytes);
    const digest = moduleDigest(bytes);
    await this.#artifacts.put(digest, bytes);
    return { digest, claims };
  }

  /**
   * A module the lattice knows, by digest, module key or claims name, or one in an OCI
   * registry: its digest (the object-store name of that exact signing) and its claims,
   * verified again here.
   */
  async resolveModule(ref: string): Promise<{ digest: string; claims: ActorClaims }> {
    // An OCI reference is pulled here and pinned: the application's version names the bytes of this deploy.
    if (isOciReference(ref)) return this.#store((await pullActorFromEnv(ref)).bytes);
    return this.#store(await this.#artifacts.get(await objectNameOf(this.#claims, ref)));
  }

  /** Live-updates an actor on one host to another signing of it (same subject), by object-store ref. */
  updateActor(hostId: string, ref: string, owner?: Owner): Promise<ActorPlacementResult> {
    return this.#hostRequest<ActorPlacementResult>(hostId, "update_actor", { ref, ...(owner && { owner }) });
  }

  /** Starts a built-in provider on one host; `app` records which application wants it (the deployer's). */
  startProvider(hostId: string, capabilityId: string, app?: string): Promise<ProviderCommandResult> {
    return this.#hostRequest(hostId, "start_provider", { capabilityId, ...(app !== undefined && { app }) });
  }

  /**
   * Stops a provider on one host, or on every host running it. With `app` (the deployer)
   * only that application's claim is released: a host's own provider is never stopped that way.
   */
  async stopProvider(capabilityId: string, options: { hostId?: string; app?: string } = {}): Promise<ProviderCommandResult[]> {
    const hostIds = options.hostId ? [options.hostId] : (await this.getHosts()).filter((h) => h.providers.includes(capabilityId)).map((h) => h.id);
    if (hostIds.length === 0) throw new WactorError("WACTOR_ERR_NO_PROVIDER", `no host in lattice '${this.subjects.lattice}' runs a provider for '${capabilityId}'`);
    const body = { capabilityId, ...(options.app !== undefined && { app: options.app }) };
    return Promise.all(hostIds.map((id) => this.#hostRequest<ProviderCommandResult>(id, "stop_provider", body)));
  }

  /** The JetStream client of this connection (the deployer opens its buckets with it). */
  get jetstream(): JetStreamClient {
    return this.#conn.js;
  }

  /** Replica health of every bucket of the lattice (those not created yet are left out). */
  async getLatticeState(): Promise<LatticeState> {
    const s = this.subjects;
    const info = this.#conn.nc.info;
    const kv = [s.linksBucket, s.claimsBucket, s.appsBucket, s.appStatusBucket, s.leaseBucket].map((bucket) => ({ bucket, kind: "kv" as const }));
    const buckets = await this.#conn.buckets.health([...kv, { bucket: s.actorsBucket, kind: "object" }]);
    const server = { name: info?.server_name ?? "?", version: info?.version ?? "?", ...(info?.cluster && { cluster: info.cluster }), ...(this.#conn.jsDomain !== undefined && { jsDomain: this.#conn.jsDomain }) };
    return { lattice: s.lattice, server, buckets };
  }

  /** The lattice's buckets, opened with this connection's replica policy. */
  get buckets(): LatticeBuckets {
    return this.#conn.buckets;
  }

  /**
   * Invokes an actor wherever it runs, like a host would: the invocation is signed with the
   * given cluster key (docs/wascc-protocol.md §5), so only a lattice that trusts it answers. The caller
   * appears as a one-off actor identity of its own (a fresh module key).
   */
  async invokeActor(actorRef: string, operation: string, payload: Uint8Array, options: { clusterKey: KeyPair; timeoutMs?: number }): Promise<Uint8Array> {
    const key = (await this.#findClaims(actorRef))?.subject ?? actorRef;
    if (!isPublicKey(key, "module")) throw new WactorError("WACTOR_ERR_ACTOR_NOT_FOUND", `'${actorRef}' is neither a module key nor the name of an actor known to lattice '${this.subjects.lattice}'`);
    const signer = new InvocationSigner({ clusterKey: options.clusterKey, hostId: KeyPair.create("server").publicKey });
    const invocation = await signer.sign({ kind: "actor", key: KeyPair.create("module").publicKey }, { kind: "actor", key }, operation, payload);
    return requestInvocation(this.#conn.nc, this.subjects.actor(key), encodeInvocation(invocation), options.timeoutMs ?? 15_000, () =>
      new WactorError("WACTOR_ERR_LATTICE_NO_ACTOR", `no host in lattice '${this.subjects.lattice}' runs actor ${actorRef} (operation ${operation})`),
    );
  }

  /** Stops an actor on one host, or on every host running it. */
  async stopActor(actorRef: string, placement: { hostId?: string } = {}): Promise<ActorPlacementResult[]> {
    const key = (await this.#findClaims(actorRef))?.subject ?? actorRef;
    const hostIds = placement.hostId ? [placement.hostId] : await this.#hostsRunning(key);
    if (hostIds.length === 0) throw new WactorError("WACTOR_ERR_LATTICE_NO_ACTOR", `no host runs ${actorRef}`);
    return Promise.all(hostIds.map((id) => this.#hostRequest<ActorPlacementResult>(id, "stop_actor", { key })));
  }

  /** Sets the instance count of an actor on one host, or on every host running it. */
  async scaleActor(actorRef: string, instances: number, placement: { hostId?: string; owner?: Owner } = {}): Promise<ActorPlacementResult[]> {
    const key = (await this.#findClaims(actorRef))?.subject ?? actorRef;
    const hostIds = placement.hostId ? [placement.hostId] : await this.#hostsRunning(key);
    if (hostIds.length === 0) throw new WactorError("WACTOR_ERR_LATTICE_NO_ACTOR", `no host runs ${actorRef}`);
    return Promise.all(hostIds.map((id) => this.#hostRequest<ActorPlacementResult>(id, "scale_actor", { key, instances, ...(placement.owner && { owner: placement.owner }) })));
  }

  /**
   * Puts a link. Every host whose provider serves the capability makes the binding first and
   * answers with its verdict; the link is stored only when none refused it, so a broken link
   * is reported now, never accepted to fail later.
   */
  async putLink(input: { actor: string; capabilityId: string; binding?: string; values?: Record<string, string>; owner?: Owner }): Promise<LinkPutResult> {
    const claims = await this.#findClaims(input.actor);
    const actorKey = claims?.subject ?? input.actor;
    if (!/^M[A-Z2-7]{55}$/.test(actorKey)) throw new WactorError("WACTOR_ERR_BAD_ARGUMENT", `'${input.actor}' is neither a module key nor the name of an actor known to the lattice`);
    if (claims) assertMayBind({ key: actorKey, name: claims.name, caps: claims.caps }, input.capabilityId);
    const link: Link = { actorKey, capabilityId: input.capabilityId, binding: normalizeBinding(input.binding), values: input.values ?? {}, ...(input.owner && { owner: input.owner }) };
    const validations = (await this.#scatter(this.subjects.control("link.validate"), encodeJson(link), 3000)).map((b) => decodeJson<LinkValidation>(b));
    if (validations.some((v) => !v.ok)) {
      // Hosts that accepted it go back to what the store says.
      await this.#scatter(this.subjects.control("link.resync"), encodeJson(link), 1000);
      return { link, stored: false, validations };
    }
    if (validations.length === 0) await this.#authorize(`link put ${link.actorKey} -> ${link.capabilityId}`);
    await this.#links.put(link);
    if (validations.length === 0) {
      return { link, stored: true, validations, pending: `no host runs a provider for ${link.capabilityId} yet; the link applies when one starts` };
    }
    return { link, stored: true, validations };
  }

  async deleteLink(actor: string, capabilityId: string, binding?: string): Promise<Link> {
    const actorKey = (await this.#findClaims(actor))?.subject ?? actor;
    const name = normalizeBinding(binding);
    const existing = await this.#links.get(actorKey, capabilityId, name);
    if (existing) await this.#authorize(`link del ${actorKey} -> ${capabilityId}`);
    if (!existing || !(await this.#links.delete(actorKey, capabilityId, name))) {
      throw new WactorError("WACTOR_ERR_LINK_NOT_FOUND", `${actor} -> ${capabilityId} '${name}'`);
    }
    return existing;
  }

  getLinks(): Promise<Link[]> {
    return this.#links.list();
  }

  /** The stored link, by actor ref (module key or name), capability and binding name. */
  async getLink(actor: string, capabilityId: string, binding?: string): Promise<Link | undefined> {
    return this.#links.get(await this.actorKeyOf(actor), capabilityId, normalizeBinding(binding));
  }

  /** The module key of an actor named by key or claims name (the ref itself when the lattice does not know it). */
  async actorKeyOf(ref: string): Promise<string> {
    return (await this.#findClaims(ref))?.subject ?? ref;
  }

  /**
   * The live event stream of the lattice, plus `host_gone` for hosts that missed three
   * heartbeats. Returns a stop function.
   */
  watch(onEvent: (event: LatticeEvent) => void, options: { sweepMs?: number } = {}): () => void {
    const logger = this.#logger ?? pino({ level: "warn" }, pino.destination(2));
    return watchEvents(this.#conn.nc, this.subjects.allEvents, onEvent, { ...options, logger });
  }

  /** Resolves once the server has every subscription made so far (a watch is live after it). */
  async flush(): Promise<void> {
    await this.#conn.nc.flush();
  }

  #findClaims(ref: string): Promise<ActorClaims | undefined> {
    return findClaims(this.#claims, ref);
  }

  async #hostsRunning(actorKey: string): Promise<string[]> {
    return hostsRunning(await this.getHosts(), actorKey);
  }

  async #hostRequest<T>(hostId: string, verb: string, body: object): Promise<T> {
    try {
      const subject = this.subjects.hostControl(hostId, verb);
      const data = encodeJson(body);
      const reply = await this.#conn.nc.request(subject, data, { timeout: this.#timeoutMs, ...controlHeaders(this.#signer, subject, data) });
      return unwrapReply<T>(reply.data);
    } catch (err) {
      if (err instanceof NatsError && err.code === NatsErrorCode.NoResponders) throw new WactorError("WACTOR_ERR_HOST_NOT_FOUND", hostId);
      if (err instanceof NatsError && err.code === NatsErrorCode.Timeout) throw new WactorError("WACTOR_ERR_LATTICE_TIMEOUT", `host ${hostId} did not answer '${verb}' within ${this.#timeoutMs} ms`);
      throw err;
    }
  }

  /** Asks every host whether it takes this client's commands; the first refusal is thrown (an open lattice never refuses). */
  async #authorize(what: string): Promise<void> {
    const replies = (await this.#scatter(this.subjects.control("authorize"), new Uint8Array(), 1500, 200)).map((b) => decodeJson<ControlReply<{ hostId: string }>>(b));
    const refusal = replies.find((r) => !r.ok);
    if (refusal && !refusal.ok) throw new WactorError("WACTOR_ERR_CONTROL_REJECTED", `${what}: ${refusal.detail}`);
  }

  /** Request to many: collects answers until none came for a short while, within `windowMs`. */
  async #scatter(subject: string, data: Uint8Array, windowMs: number, jitterMs = 400): Promise<Uint8Array[]> {
    const replies: Uint8Array[] = [];
    try {
      const iterator = await this.#conn.nc.requestMany(subject, data, { strategy: RequestStrategy.JitterTimer, maxWait: windowMs, jitter: Math.min(jitterMs, windowMs), ...controlHeaders(this.#signer, subject, data) });
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
