/**
 * The typed client of the control interface: what `wactor ctl`, the deployer and the
 * dashboard use. Every call has a deadline; a host that does not answer is named. It composes
 * single-purpose parts over one ControlBus (control-bus.ts): modules in artifacts.ts, links in
 * links.ts, invocations in invocations.ts, the event stream in event-watch.ts; placement
 * decisions live in state/placement.ts.
 */
import type { JetStreamClient } from "nats";
import { pino, type Logger } from "pino";
import { KeyPair } from "../../claims/nkeys.js";
import { WactorError } from "../../errors.js";
import type { NatsAccess } from "../../nats/access.js";
import { ArtifactStore } from "../state/artifact-store.js";
import type { BucketHealth, LatticeBuckets } from "../state/buckets.js";
import { ClaimsStore } from "../state/claims-store.js";
import { connectLattice, type LatticeConnection } from "../state/connection.js";
import { LinkStore } from "../state/link-store.js";
import { chooseHost, hostsRunning } from "../state/placement.js";
import { checkSummary } from "../trust/host-record.js";
import { isSigningKey, type SignatureVerifier } from "../trust/operator-signature.js";
import { unwrapReply } from "../wire/control-codec.js";
import type {
  ActorClaims,
  HostSummary,
  Inventory,
  LatticeEvent,
  LinkPutResult,
  ProviderCommandResult,
  RunningBundle,
  StartBundleRequest,
} from "../wire/control-types.js";
import type { Link, Owner } from "../wire/ownership.js";
import type { RejectionReporter } from "../wire/rejections.js";
import { DEFAULT_LATTICE, latticeSubjects, type LatticeSubjects } from "../wire/subjects.js";
import { ArtifactsClient, type StoredModule } from "./artifacts.js";
import { ControlBus } from "./control-bus.js";
import { watchEvents } from "./event-watch.js";
import { invokeActor, type InvokeOptions } from "./invocations.js";
import { LinksClient, type LinkInput } from "./links.js";

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
  readonly artifacts: ArtifactsClient;
  readonly links: LinksClient;
  readonly #bus: ControlBus;
  readonly #conn: LatticeConnection;
  readonly #logger: Logger | undefined;
  readonly #hostVerifier: SignatureVerifier | undefined;
  readonly #reporter: RejectionReporter | undefined;

  private constructor(
    conn: LatticeConnection,
    subjects: LatticeSubjects,
    stores: { links: LinkStore; claims: ClaimsStore; artifacts: ArtifactStore },
    options: ClientOptions,
  ) {
    this.#conn = conn;
    this.subjects = subjects;
    this.#bus = new ControlBus(conn, subjects, stores.claims, options.timeoutMs ?? 5000, options.signer);
    this.artifacts = new ArtifactsClient(stores.artifacts, stores.claims);
    this.links = new LinksClient(this.#bus, stores.links);
    this.#logger = options.logger;
    this.#hostVerifier = options.hostVerifier;
    this.#reporter = options.reporter;
  }

  static async connect(options: ClientOptions): Promise<ControlClient> {
    const subjects = latticeSubjects(options.lattice ?? DEFAULT_LATTICE);
    if (options.signer && !isSigningKey(options.signer))
      throw new WactorError("WACTOR_ERR_OPERATOR_SEED", `a ${options.signer.type} key cannot sign control requests: use an operator seed (SO…)`);
    const conn = await connectLattice(options.url, "wactor ctl", {
      ...(options.access && { access: options.access }),
      ...(options.logger && { logger: options.logger }),
    });
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
    const replies = await this.#bus.scatter(this.subjects.control("ping"), new Uint8Array(), windowMs, jitterMs);
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
    return this.#bus.hostRequest<Inventory>(hostId, "inventory", {});
  }

  getClaims(): Promise<ActorClaims[]> {
    return this.#bus.claims.list();
  }

  /**
   * Starts an actor from a .wasm file (uploaded to the object store first, after its claims
   * verify here) or from a ref the lattice knows (hash, module key, claims name).
   */
  async startActor(
    source: { path: string } | { ref: string; bundle?: string },
    placement: Placement & { instances?: number } = {},
  ): Promise<ActorPlacementResult> {
    const { ref, key } =
      "path" in source ? await this.artifacts.uploadForStart(source.path) : { ref: source.ref, key: (await this.#bus.findClaims(source.ref))?.subject };
    const hostId = placement.hostId ?? chooseHost(await this.getHosts(), placement.constraints ?? {}, key);
    const body = {
      ref,
      ...("bundle" in source && source.bundle !== undefined && { bundle: source.bundle }),
      ...(placement.instances !== undefined && { instances: placement.instances }),
      ...(placement.owner && { owner: placement.owner }),
    };
    return this.#bus.hostRequest<ActorPlacementResult>(hostId, "start_actor", body);
  }

  /** Uploads a signed module after verifying its claims here; returns its digest (object-store name) and claims. */
  uploadModule(path: string): Promise<StoredModule> {
    return this.artifacts.upload(path);
  }

  /** A module the lattice knows (digest, module key, claims name) or one in an OCI registry: digest and claims. */
  resolveModule(ref: string): Promise<StoredModule> {
    return this.artifacts.resolve(ref);
  }

  /** Live-updates an actor on one host to another signing of it (same subject), by object-store ref. */
  updateActor(hostId: string, ref: string, owner?: Owner, bundle?: string): Promise<ActorPlacementResult> {
    return this.#bus.hostRequest<ActorPlacementResult>(hostId, "update_actor", { ref, ...(owner && { owner }), ...(bundle !== undefined && { bundle }) });
  }

  /** Serves a stored bundle's routes on one host; its functions are reached wherever they run. */
  startBundle(hostId: string, request: StartBundleRequest): Promise<RunningBundle> {
    return this.#bus.hostRequest<RunningBundle>(hostId, "start_bundle", request);
  }

  stopBundle(hostId: string, digest: string): Promise<{ digest: string; stopped: boolean }> {
    return this.#bus.hostRequest(hostId, "stop_bundle", { digest });
  }

  /** Starts a built-in provider on one host; `app` records which application wants it (the deployer's). */
  startProvider(hostId: string, capabilityId: string, app?: string): Promise<ProviderCommandResult> {
    return this.#bus.hostRequest(hostId, "start_provider", { capabilityId, ...(app !== undefined && { app }) });
  }

  /**
   * Stops a provider on one host, or on every host running it. With `app` (the deployer)
   * only that application's claim is released: a host's own provider is never stopped that way.
   */
  async stopProvider(capabilityId: string, options: { hostId?: string; app?: string } = {}): Promise<ProviderCommandResult[]> {
    const hostIds = options.hostId ? [options.hostId] : (await this.getHosts()).filter((h) => h.providers.includes(capabilityId)).map((h) => h.id);
    if (hostIds.length === 0)
      throw new WactorError("WACTOR_ERR_NO_PROVIDER", `no host in lattice '${this.subjects.lattice}' runs a provider for '${capabilityId}'`);
    const body = { capabilityId, ...(options.app !== undefined && { app: options.app }) };
    return Promise.all(hostIds.map((id) => this.#bus.hostRequest<ProviderCommandResult>(id, "stop_provider", body)));
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
    const server = {
      name: info?.server_name ?? "?",
      version: info?.version ?? "?",
      ...(info?.cluster && { cluster: info.cluster }),
      ...(this.#conn.jsDomain !== undefined && { jsDomain: this.#conn.jsDomain }),
    };
    return { lattice: s.lattice, server, buckets };
  }

  /** The lattice's buckets, opened with this connection's replica policy. */
  get buckets(): LatticeBuckets {
    return this.#conn.buckets;
  }

  /** Invokes an actor wherever it runs, signed with the given cluster key (invocations.ts). */
  invokeActor(actorRef: string, operation: string, payload: Uint8Array, options: InvokeOptions): Promise<Uint8Array> {
    return invokeActor(this.#bus, actorRef, operation, payload, options);
  }

  /** Stops an actor on one host, or on every host running it. */
  async stopActor(actorRef: string, placement: { hostId?: string } = {}): Promise<ActorPlacementResult[]> {
    const key = await this.#bus.actorKeyOf(actorRef);
    const hostIds = placement.hostId ? [placement.hostId] : hostsRunning(await this.getHosts(), key);
    if (hostIds.length === 0) throw new WactorError("WACTOR_ERR_LATTICE_NO_ACTOR", `no host runs ${actorRef}`);
    return Promise.all(hostIds.map((id) => this.#bus.hostRequest<ActorPlacementResult>(id, "stop_actor", { key })));
  }

  /** Sets the instance count of an actor on one host, or on every host running it. */
  async scaleActor(actorRef: string, instances: number, placement: { hostId?: string; owner?: Owner } = {}): Promise<ActorPlacementResult[]> {
    const key = await this.#bus.actorKeyOf(actorRef);
    const hostIds = placement.hostId ? [placement.hostId] : hostsRunning(await this.getHosts(), key);
    if (hostIds.length === 0) throw new WactorError("WACTOR_ERR_LATTICE_NO_ACTOR", `no host runs ${actorRef}`);
    const body = { key, instances, ...(placement.owner && { owner: placement.owner }) };
    return Promise.all(hostIds.map((id) => this.#bus.hostRequest<ActorPlacementResult>(id, "scale_actor", body)));
  }

  /** Puts a link once every host serving the capability accepted it (links.ts). */
  putLink(input: LinkInput): Promise<LinkPutResult> {
    return this.links.put(input);
  }

  deleteLink(actor: string, capabilityId: string, binding?: string): Promise<Link> {
    return this.links.delete(actor, capabilityId, binding);
  }

  getLinks(): Promise<Link[]> {
    return this.links.list();
  }

  /** The stored link, by actor ref (module key or name), capability and binding name. */
  getLink(actor: string, capabilityId: string, binding?: string): Promise<Link | undefined> {
    return this.links.get(actor, capabilityId, binding);
  }

  /** The module key of an actor named by key or claims name (the ref itself when the lattice does not know it). */
  actorKeyOf(ref: string): Promise<string> {
    return this.#bus.actorKeyOf(ref);
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
}
