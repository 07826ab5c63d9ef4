/**
 * Joins a Host to a lattice: the composition root of the lattice side. It wires the RPC bus
 * (session-authenticated or JWT-signed invocations) and the host sessions, the link sync (JetStream KV), the control server, claims and
 * actor-bytes publication, and events with heartbeats. Policy stays in the Host.
 */
import { pino, type Logger } from "pino";
import { KeyPair, isPublicKey } from "../claims/nkeys.js";
import { WactorError } from "../errors.js";
import type { Host } from "../host/host.js";
import { WACTOR_VERSION } from "../version.js";
import { ArtifactStore, moduleDigest } from "./state/artifact-store.js";
import { ClaimsStore } from "./state/claims-store.js";
import { encodeJson } from "./wire/control-codec.js";
import { BundleRoutes } from "./control/bundle-routes.js";
import { ControlServer } from "./control/control-server.js";
import type { HostSummary, LatticeEvent, LatticeEventType } from "./wire/control-types.js";
import { connectLattice, settleWithin, type LatticeConnection } from "./state/connection.js";
import { InvocationSigner, InvocationVerifier, type RejectionReason } from "./wire/invocation.js";
import { LinkStore } from "./state/link-store.js";
import type { NatsAccess } from "../nats/access.js";
import { LinkSync } from "./control/link-sync.js";
import { clusterKeyFrom } from "./trust/cluster-key.js";
import { LatticeGuard } from "./trust/lattice-guard.js";
import { proveSummary } from "./trust/host-record.js";
import { LatticeRpc } from "./rpc/rpc.js";
import { SessionTable } from "./sessions/session-table.js";
import { LatticeSessions } from "./sessions/sessions.js";
import { TrustFile } from "./trust/trust-file.js";
import { DEFAULT_LATTICE, latticeSubjects, type LatticeSubjects } from "./wire/subjects.js";

export interface JoinOptions {
  /** NATS URL(s), comma-separated. */
  url: string;
  /** Lattice name: subjects and buckets are namespaced by it. */
  lattice?: string;
  /** Cluster seed (`SC…`) that signs this host's invocations; generated when absent. */
  clusterSeed?: string;
  /** Other cluster keys (`C…`) whose invocations this host accepts. */
  trustedClusters?: string[];
  /** More trusted cluster keys in a file, re-read every heartbeat (a key removed there is revoked). */
  trustedClustersFile?: string;
  /**
   * How this host authenticates the invocations it sends: a MAC under a host session
   * ("session", default) or an Ed25519-signed JWT per call (docs/wascc-protocol.md §5, "jwt"). Both are
   * always accepted on receipt.
   */
  invocationAuth?: InvocationAuth;
  /** How often the host starts a new session (default one hour). */
  sessionRotateMs?: number;
  labels?: Record<string, string>;
  heartbeatMs?: number;
  invocationTimeoutMs?: number;
  logger?: Logger;
  /** Credentials, TLS, JetStream domain and bucket replicas of the NATS connection. */
  access?: NatsAccess;
  /**
   * Operator keys (`O…`) whose signed control commands, links and applications this host
   * acts on (with the trusted cluster keys, for what hosts do on their behalf). None: the
   * lattice is open, as before (a warning says so).
   */
  trustedOperators?: string[];
  /** Queries (ping, inventory) need a signature too. */
  closeQueries?: boolean;
}

export type InvocationAuth = "session" | "jwt";
const HOUR_MS = 3_600_000;

export class LatticeHost {
  readonly hostId: string;
  readonly clusterKey: string;
  readonly subjects: LatticeSubjects;
  /** Whom this host trusts to change the lattice, its control gate and its report of refusals. */
  readonly guard: LatticeGuard;
  /** This host's cluster key: it signs what the host does on the operator's behalf (reconciler, manifest links). */
  readonly signer: KeyPair;
  readonly #host: Host;
  readonly #conn: LatticeConnection;
  readonly #rpc: LatticeRpc;
  readonly #sessions: LatticeSessions;
  readonly #verifier: InvocationVerifier;
  readonly #baseTrust: string[];
  readonly #trustFile: TrustFile | undefined;
  readonly #links: LinkSync;
  readonly #control: ControlServer;
  readonly #bundles: BundleRoutes;
  readonly #claims: ClaimsStore;
  readonly #artifacts: ArtifactStore;
  readonly #labels: Record<string, string>;
  readonly #heartbeatMs: number;
  readonly #startedAt = new Date();
  readonly #served = new Set<string>();
  readonly #digests = new Map<string, { bytes: Uint8Array; digest: string }>();
  /** Invocations served per actor since this host started (dashboards derive rates from heartbeats). */
  readonly #invocations = new Map<string, number>();
  /** Per actor, the publication of its claims and bytes in progress (the control server awaits it). */
  readonly #announcing = new Map<string, Promise<void>>();
  readonly #logger: Logger;
  readonly #detach: Array<() => void> = [];
  #heartbeat: NodeJS.Timeout | undefined;

  private constructor(parts: {
    host: Host;
    conn: LatticeConnection;
    hostKey: KeyPair;
    clusterKey: KeyPair;
    subjects: LatticeSubjects;
    trusted: string[];
    trustFile: TrustFile | undefined;
    links: LinkStore;
    claims: ClaimsStore;
    artifacts: ArtifactStore;
    options: JoinOptions;
    logger: Logger;
    guard: LatticeGuard;
  }) {
    const { host, conn, subjects, options, logger } = parts;
    this.hostId = parts.hostKey.publicKey;
    this.clusterKey = parts.clusterKey.publicKey;
    this.signer = parts.clusterKey;
    this.guard = parts.guard;
    this.subjects = subjects;
    this.#host = host;
    this.#conn = conn;
    this.#claims = parts.claims;
    this.#artifacts = parts.artifacts;
    this.#labels = { ...options.labels };
    this.#heartbeatMs = options.heartbeatMs ?? 5000;
    this.#logger = logger;
    this.#baseTrust = parts.trusted;
    this.#trustFile = parts.trustFile;
    const trusted = [...parts.trusted, ...(parts.trustFile?.read() ?? [])];
    const onRejected = (reason: RejectionReason, detail: string, fromHost: string): void => {
      host.events.emit("invocation_rejected", { reason, fromHost });
      this.publish("invocation_rejected", { reason, detail, fromHost });
    };
    const rotateMs = options.sessionRotateMs ?? HOUR_MS;
    // A session outlives its rotation by a margin, so calls in flight under the old one land.
    const table = new SessionTable({
      lattice: subjects.lattice,
      hostKey: parts.hostKey,
      clusterKey: parts.clusterKey,
      trusted,
      lifetimeSeconds: Math.ceil(rotateMs / 1000) + 300,
    });
    this.#sessions = new LatticeSessions({ nc: conn.nc, subjects, table, logger, rotateMs, served: () => this.#rpc.servedSubjects(), onRejected });
    this.#verifier = new InvocationVerifier({ trustedClusterKeys: trusted });
    this.#rpc = new LatticeRpc({
      nc: conn.nc,
      subjects,
      host,
      logger,
      hostId: this.hostId,
      signer: new InvocationSigner({ clusterKey: parts.clusterKey, hostId: this.hostId }),
      verifier: this.#verifier,
      sessions: this.#sessions,
      sendBySession: (options.invocationAuth ?? "session") === "session",
      onServedChanged: () => this.#sessions.routesChanged(),
      ...(options.invocationTimeoutMs !== undefined && { timeoutMs: options.invocationTimeoutMs }),
      onRejected,
    });
    this.#links = new LinkSync({
      host,
      hostId: this.hostId,
      rpc: this.#rpc,
      links: parts.links,
      claims: parts.claims,
      logger,
      onApplied: (link, validation) =>
        this.publish(validation.ok ? "link_put" : "link_failed", {
          actorKey: link.actorKey,
          capabilityId: link.capabilityId,
          binding: link.binding,
          ...validation,
        }),
      onRemoved: (actorKey, capabilityId, binding) => this.publish("link_deleted", { actorKey, capabilityId, binding }),
    });
    this.#bundles = new BundleRoutes({ host, artifacts: parts.artifacts, logger, call: (key, op, payload) => this.invoke(key, op, payload) });
    this.#control = new ControlServer({
      nc: conn.nc,
      subjects,
      hostId: this.hostId,
      host,
      links: this.#links,
      artifacts: parts.artifacts,
      claims: parts.claims,
      bundles: this.#bundles,
      logger,
      gate: parts.guard.gate,
      summary: () => this.summary(),
      announced: (key) => this.announced(key),
    });
  }

  static async join(host: Host, options: JoinOptions): Promise<LatticeHost> {
    const logger = (options.logger ?? pino({ level: "info" })).child({ lattice: options.lattice ?? DEFAULT_LATTICE });
    const clusterKey = clusterKeyFrom(options.clusterSeed, logger);
    const trusted = [clusterKey.publicKey, ...(options.trustedClusters ?? [])];
    for (const key of trusted) {
      if (!isPublicKey(key, "cluster")) throw new WactorError("WACTOR_ERR_KEY_TYPE", `--trusted-cluster '${key}' is not a cluster public key (C…)`);
    }
    const trustFile = options.trustedClustersFile === undefined ? undefined : new TrustFile(options.trustedClustersFile);
    trustFile?.read(); // a bad file fails the join, before anything connects
    const hostKey = KeyPair.create("server");
    const subjects = latticeSubjects(options.lattice ?? DEFAULT_LATTICE);
    let joined: LatticeHost | undefined;
    const clusters = [...trusted, ...(trustFile?.read() ?? [])];
    const publish = (type: LatticeEventType, data: Record<string, unknown>): void => joined?.publish(type, data);
    const guard = new LatticeGuard({
      trustedOperators: options.trustedOperators ?? [],
      closeQueries: options.closeQueries ?? false,
      clusters,
      host,
      logger,
      publish,
    });
    const conn = await connectLattice(options.url, `wactor host ${hostKey.publicKey}`, { logger, ...(options.access && { access: options.access }) });
    try {
      const verifier = guard.linkVerifier;
      const [links, claims, artifacts] = await Promise.all([
        LinkStore.open(conn.buckets, subjects.linksBucket, { reporter: guard.reporter, ...(verifier && { verifier }) }),
        ClaimsStore.open(conn.buckets, subjects.claimsBucket, guard.reporter),
        ArtifactStore.open(conn.buckets, subjects.actorsBucket),
      ]);
      const lattice = new LatticeHost({ host, conn, hostKey, clusterKey, subjects, trusted, trustFile, links, claims, artifacts, options, logger, guard });
      joined = lattice;
      await lattice.#start();
      return lattice;
    } catch (err) {
      host.setRemoteRouter(undefined);
      await conn.close();
      throw err;
    }
  }

  /** This host as it answers a ping and heartbeats, signed with its cluster key. */
  summary(): HostSummary {
    return proveSummary(this.signer, {
      id: this.hostId,
      lattice: this.subjects.lattice,
      labels: this.#labels,
      version: WACTOR_VERSION,
      startedAt: this.#startedAt.toISOString(),
      uptimeSeconds: Math.round((Date.now() - this.#startedAt.getTime()) / 1000),
      clusterKey: this.clusterKey,
      actorKeys: this.#host.listActors().map((a) => a.key),
      actors: this.#host
        .listActors()
        .map((a) => ({ key: a.key, instances: a.instances, state: a.state, digest: this.#digest(a.key), invocations: this.#invocations.get(a.key) ?? 0 })),
      providers: this.#host.providerIds(),
      providerApps: this.#control.providerApps(),
      actorApps: this.#control.actorApps(),
      bundles: this.#bundles.list(),
      heartbeatMs: this.#heartbeatMs,
    });
  }

  /**
   * Invokes an actor wherever it runs in the lattice (here when it runs here), on behalf of
   * this host: what `wactor call --lattice` uses.
   */
  invoke(actorKey: string, operation: string, payload: Uint8Array): Promise<Uint8Array> {
    if (this.#host.actorModule(actorKey)) return this.#host.invoke(actorKey, operation, payload);
    return this.#rpc.invokeActor({ kind: "actor", key: this.hostId }, actorKey, operation, payload);
  }

  /** Name of the NATS server this host is connected to right now (it changes when the host fails over). */
  get natsServer(): string | undefined {
    return this.#conn.nc.isClosed() ? undefined : this.#conn.nc.info?.server_name;
  }

  /** SHA-256 of the signed module an actor runs, cached per module (computed once per version). */
  #digest(key: string): string {
    const bytes = this.#host.actorModule(key);
    if (!bytes) return "";
    const cached = this.#digests.get(key);
    if (cached && cached.bytes === bytes) return cached.digest;
    const digest = moduleDigest(bytes);
    this.#digests.set(key, { bytes, digest });
    return digest;
  }

  /** Rejected invocations so far, by reason. */
  rejectedCounts(): Record<RejectionReason, number> {
    return Object.fromEntries(this.#rpc.rejected) as Record<RejectionReason, number>;
  }

  /** Invocations this host sent, by how they were authenticated. */
  sentCounts(): { session: number; jwt: number } {
    return { ...this.#rpc.sent };
  }

  /**
   * Replaces the cluster keys trusted besides this host's own and the `trustedClusters` it
   * joined with: hosts of keys no longer trusted have their sessions cut and every further
   * invocation of theirs (session or JWT) is rejected. Returns the hosts cut.
   */
  setTrustedClusters(extra: string[]): string[] {
    const keys = [...this.#baseTrust, ...extra];
    this.#verifier.setTrusted(keys);
    this.guard.setClusters(keys);
    return this.#sessions.setTrusted(keys);
  }

  publish(type: LatticeEventType, data: Record<string, unknown>): void {
    if (this.#conn.nc.isClosed()) return;
    const event: LatticeEvent = { type, hostId: this.hostId, time: new Date().toISOString(), data };
    this.#conn.nc.publish(this.subjects.event(type), encodeJson(event));
  }

  /**
   * Stops taking work from the lattice (other hosts running the same actors take it) while
   * this host can still call out; then the host drains, then `close`.
   */
  async stopServing(): Promise<void> {
    clearInterval(this.#heartbeat);
    this.#control.stop();
    await this.#bundles.stopAll();
    this.#links.stop();
    this.#rpc.close();
    this.#sessions.stop();
    for (const detach of this.#detach.splice(0)) detach();
    this.publish("host_stopped", { labels: this.#labels });
    await settleWithin(this.#conn.nc.flush());
  }

  async close(): Promise<void> {
    this.#host.setRemoteRouter(undefined);
    await this.#conn.close();
    this.#rpc.closeRequests();
  }

  /** Both steps, for a host that is already drained. */
  async leave(): Promise<void> {
    await this.stopServing();
    await this.close();
  }

  async #start(): Promise<void> {
    this.#host.setRemoteRouter(this.#rpc);
    // Sessions first: peers learn this host's session before it serves or sends anything.
    this.#sessions.start();
    this.#rpc.serveHost();
    this.#wireHostEvents();
    for (const actor of this.#host.listActors()) await this.#announce(actor.key);
    await this.#links.start();
    this.#control.start();
    await this.#conn.nc.flush();
    this.publish("host_started", { labels: this.#labels, version: WACTOR_VERSION });
    for (const capabilityId of this.#host.providerIds()) this.publish("provider_started", { capabilityId, name: this.#host.provider(capabilityId)?.name });
    this.#heartbeat = setInterval(() => this.#beat(), this.#heartbeatMs);
    this.#heartbeat.unref();
    this.#logger.info({ hostId: this.hostId, clusterKey: this.clusterKey }, "joined the lattice");
  }

  #beat(): void {
    this.publish("host_heartbeat", { ...this.summary() });
    this.#sessions.tick();
    try {
      const keys = this.#trustFile?.poll();
      if (keys) this.setTrustedClusters(keys);
    } catch (err) {
      this.#logger.error({ err: (err as Error).message }, "the trusted clusters file is invalid: the trust list is unchanged");
    }
  }

  #wireHostEvents(): void {
    const events = this.#host.events;
    const onState = (e: { actorKey: string; name: string | undefined; state: string; reason: string | undefined }): void => {
      if (!isPublicKey(e.actorKey, "module")) return;
      if (e.state === "running")
        this.#announce(e.actorKey).catch((err: unknown) =>
          this.#logger.warn({ actor: e.actorKey, err: (err as Error).message }, "could not announce the actor to the lattice"),
        );
      else if (e.state === "stopped") this.#actorGone(e.actorKey, "actor_stopped", e);
      else if (e.state === "failed" && this.#served.has(e.actorKey)) this.#actorGone(e.actorKey, "actor_failed", e);
      else if (e.state === "failed") this.publish("actor_failed", { actorKey: e.actorKey, name: e.name, reason: e.reason });
    };
    const onProviderStarted = (e: { capabilityId: string; name: string }): void => this.publish("provider_started", e);
    const onProviderStopped = (e: { capabilityId: string; name: string }): void => this.publish("provider_stopped", e);
    const onDenied = (d: object): void => this.publish("invocation_denied", { ...d });
    const onDone = (e: { actorKey: string }): void => {
      this.#invocations.set(e.actorKey, (this.#invocations.get(e.actorKey) ?? 0) + 1);
    };
    events.on("invocation_done", onDone);
    events.on("actor_state", onState);
    events.on("provider_started", onProviderStarted);
    events.on("provider_stopped", onProviderStopped);
    events.on("invocation_denied", onDenied);
    this.#detach.push(() => {
      events.off("actor_state", onState);
      events.off("provider_started", onProviderStarted);
      events.off("provider_stopped", onProviderStopped);
      events.off("invocation_denied", onDenied);
      events.off("invocation_done", onDone);
    });
  }

  #announce(key: string): Promise<void> {
    const previous = this.#announcing.get(key) ?? Promise.resolve();
    const next = previous.then(() => this.#actorRunning(key));
    this.#announcing.set(key, next);
    return next;
  }

  /** Resolves once a started actor is published to the lattice and takes invocations. */
  async announced(key: string): Promise<void> {
    await this.#announcing.get(key);
  }

  /** A local actor runs: publish its claims and bytes, then take its invocations. */
  async #actorRunning(key: string): Promise<void> {
    const info = this.#host.actorInfo(key);
    const bytes = this.#host.actorModule(key);
    if (!info || !bytes) return;
    const updated = this.#served.has(key);
    try {
      await this.#claims.put(info.claims);
      await this.#artifacts.put(info.claims.hash, bytes);
      await this.#artifacts.put(this.#digest(key), bytes);
    } catch (err) {
      this.#logger.warn({ actor: key, err: (err as Error).message }, "could not publish the actor's claims or module to the lattice");
    }
    this.#served.add(key);
    this.#rpc.serveActor(key);
    await this.#rpc.flush().catch(() => {});
    this.publish(updated ? "actor_updated" : "actor_started", { actorKey: key, name: info.name, instances: info.instances, caps: info.claims.caps });
  }

  #actorGone(key: string, type: "actor_stopped" | "actor_failed", e: { name: string | undefined; reason: string | undefined }): void {
    this.#served.delete(key);
    this.#rpc.unserveActor(key);
    this.publish(type, { actorKey: key, name: e.name, reason: e.reason });
  }
}
