/**
 * The host: a thin composition root over the runtime (instance pools), the Authorizer,
 * the binding table, providers and the lifecycle machines. Policy lives in those parts.
 */
import { pino, type Logger } from "pino";
import { assertValidModule } from "../claims/verify.js";
import type { ActorClaims } from "../claims/types.js";
import { assertMayBind } from "../claims/may-bind.js";
import { decodeHttpResponse, encodeHttpRequest, type HttpRequest, type HttpResponse } from "../codec/http.js";
import { OP_JOB, decodeJobReply, encodeJobRequest, type JobReply, type JobRequest } from "../codec/job.js";
import { OP_HANDLE_REQUEST } from "../codec/operations.js";
import { WactorError, toWactorError } from "../errors.js";
import { startActorPool, type ActorPool, type Isolation } from "../runtime/actor-pool.js";
import type { InvocationTrace } from "../runtime/invocation-trace.js";
import { traceInvocation } from "./host-spans.js";
import type { Tracing } from "../tracing/tracing.js";
import { ACTOR_DEFAULTS, type ActorOptions } from "./actor-options.js";
import { Authorizer } from "./authorizer.js";
import { BindingTable, type Binding } from "./bindings.js";
import { createHostCallHandler, createHttpClientHandler, type DispatchTargets } from "./dispatcher.js";
import { HostEvents } from "./events.js";
import { ImplicitExtras } from "./implicit-extras.js";
import { startLifecycle, type LifecycleActor, type LifecycleState } from "./lifecycle.js";
import { normalizeBinding, type ActorIdentity, type CapabilityProvider } from "../provider/contract.js";
import { providerContext } from "./provider-context.js";
import { readModule } from "./read-module.js";
import { DirectoryStaticFiles, type StaticFiles } from "./static-files.js";

export { ACTOR_DEFAULTS, type ActorOptions } from "./actor-options.js";

export interface HostOptions {
  logger?: Logger;
  /** Account keys whose actors may run; empty = any valid signature. */
  trustedIssuers?: string[];
  actorDefaults?: ActorOptions;
  /** Bounded wait for in-flight invocations when stopping or replacing an actor. */
  drainMs?: number;
  /** Where instrumented modules are cached (default: transform-cache.ts defaultCacheDir). */
  cacheDir?: string;
  /** Spans for invocations, host calls and provider I/O (tracing/setup.ts); absent: no span work at all. */
  tracing?: Tracing;
}

/** Who makes a call that crosses hosts: an actor, or a provider delivering under a binding. */
export type CallOrigin = { kind: "actor"; key: string } | { kind: "provider"; capabilityId: string; binding: string };

/**
 * Where calls go that this host cannot serve itself (the lattice, when joined): actors that
 * run elsewhere, and capabilities whose provider runs elsewhere. Calls reach it already
 * authorized by this host.
 */
export interface RemoteRouter {
  invokeActor(origin: CallOrigin, targetKey: string, operation: string, payload: Uint8Array): Promise<Uint8Array>;
  callProvider(caller: ActorIdentity, capabilityId: string, binding: string, operation: string, payload: Uint8Array): Promise<Uint8Array>;
}

export interface ActorInfo {
  key: string;
  name: string | undefined;
  claims: ActorClaims;
  state: LifecycleState;
  reason: string | undefined;
  /** Most instances (configured); `liveInstances` exist now. */
  instances: number;
  liveInstances: number;
  isolation: Isolation;
  inFlight: number;
  memoryBytes: number;
}

interface ActorRecord {
  claims: ActorClaims;
  /** The verified module as loaded (kept for scaling and for the lattice's object store). */
  bytes: Uint8Array;
  identity: ActorIdentity;
  pool: ActorPool;
  isolation: Isolation;
  options: Required<ActorOptions>;
  lifecycle: LifecycleActor;
  /** The actor's static files (wactor:static), if it has any. */
  staticFiles: StaticFiles | undefined;
}

export class Host {
  readonly events = new HostEvents();
  readonly logger: Logger;
  readonly bindings = new BindingTable();
  readonly authorizer: Authorizer;
  readonly tracing: Tracing | undefined;
  readonly #options: HostOptions;
  readonly #actors = new Map<string, ActorRecord>();
  readonly #providers = new Map<string, CapabilityProvider>();
  readonly #targets: DispatchTargets;
  readonly #implicitExtras = new ImplicitExtras(this);
  #remote: RemoteRouter | undefined;

  constructor(options: HostOptions = {}) {
    this.#options = options;
    this.tracing = options.tracing;
    const tracing = options.tracing;
    this.logger = options.logger ?? pino({ level: "info", ...(tracing && { mixin: () => tracing.logFields() }) });
    this.authorizer = new Authorizer(this.bindings, this.logger, (denial) => this.events.emit("invocation_denied", denial));
    this.#targets = {
      authorizer: this.authorizer,
      provider: (id) => this.#providers.get(id),
      identity: (key) => this.#actors.get(key)?.identity,
      invokeActor: (key, op, payload, callerKey) =>
        this.#actors.has(key) || !this.#remote ? this.invoke(key, op, payload) : this.#remote.invokeActor({ kind: "actor", key: callerKey }, key, op, payload),
      remoteProvider: (caller, capabilityId, binding, op, payload) => {
        if (!this.#remote) throw new WactorError("WACTOR_ERR_NO_PROVIDER", capabilityId);
        return this.#remote.callProvider(caller, capabilityId, binding, op, payload);
      },
      staticFiles: (key) => this.#actors.get(key)?.staticFiles,
      tracing,
    };
  }

  /** Loads, verifies and starts an actor; resolves once it serves, rejects with a WactorError. */
  async startActor(source: Uint8Array | string, options: ActorOptions = {}): Promise<ActorInfo> {
    let name: string | undefined;
    let key = typeof source === "string" ? source : "(bytes)";
    const lifecycle = startLifecycle((state, reason) => this.events.emit("actor_state", { actorKey: key, name, state, reason }));
    try {
      const bytes = typeof source === "string" ? await readModule(source) : source;
      lifecycle.send({ type: "LOADED" });
      const { claims } = await assertValidModule(bytes, this.#verifyOptions());
      key = claims.subject;
      name = claims.name;
      if (this.#actors.has(key)) throw new WactorError("WACTOR_ERR_ACTOR_EXISTS", key);
      lifecycle.send({ type: "VERIFIED" });
      const merged = { ...ACTOR_DEFAULTS, ...this.#options.actorDefaults, ...options };
      const { pool, isolation } = await this.#startPool(claims, bytes, merged);
      const identity: ActorIdentity = { key, issuer: claims.issuer, caps: claims.caps, ...(claims.name !== undefined && { name: claims.name }) };
      this.#actors.set(key, { claims, bytes, identity, pool, isolation, options: merged, lifecycle, staticFiles: staticFilesOf(merged) });
      lifecycle.send({ type: "STARTED" });
      await this.#implicitExtras.actorStarted(key, claims.caps);
      this.logger.info({ actor: key, name, instances: merged.instances, isolation }, "actor started");
      return this.actorInfo(key)!;
    } catch (err) {
      // The runtime reports compile failures itself: anything else here is a bug, said so.
      const error = toWactorError(err);
      lifecycle.send({ type: "FAIL", reason: `${error.code}: ${error.message}` });
      this.logger.error({ actor: key, code: error.code, ...(error.cause !== undefined && { err: error.cause }) }, error.message);
      throw error;
    }
  }

  /** Live update: same subject, new claims verified, in-flight calls finish on the old pool. */
  async replaceActor(key: string, source: Uint8Array | string, options: ActorOptions = {}): Promise<ActorInfo> {
    const record = this.#requireActor(key);
    record.lifecycle.send({ type: "UPDATE" });
    try {
      const bytes = typeof source === "string" ? await readModule(source) : source;
      const { claims } = await assertValidModule(bytes, this.#verifyOptions());
      if (claims.subject !== key) throw new WactorError("WACTOR_ERR_SUBJECT_MISMATCH", `running ${key}, new module is ${claims.subject}`);
      const merged = { ...record.options, ...options };
      const { pool, isolation } = await this.#startPool(claims, bytes, merged);
      const old = record.pool;
      // Swap first so new invocations go to the new version, then drain the old one.
      const staticFiles = merged.staticDir === record.options.staticDir ? record.staticFiles : staticFilesOf(merged);
      Object.assign(record, {
        claims,
        bytes,
        pool,
        isolation,
        options: merged,
        staticFiles,
        identity: { ...record.identity, caps: claims.caps, name: claims.name },
      });
      record.lifecycle.send({ type: "UPDATED" });
      await this.#implicitExtras.actorStarted(key, claims.caps);
      await old.drain(this.#options.drainMs ?? 10_000);
      this.logger.info({ actor: key, name: claims.name }, "actor updated");
      return this.actorInfo(key)!;
    } catch (err) {
      const error = toWactorError(err);
      record.lifecycle.send({ type: "FAIL", reason: `${error.code}: ${error.message}` });
      if (error.code === "WACTOR_ERR_INTERNAL") this.logger.error({ actor: key, code: error.code, err: error.cause }, error.message);
      throw error;
    }
  }

  async stopActor(key: string): Promise<void> {
    const record = this.#requireActor(key);
    record.lifecycle.send({ type: "STOP" });
    // Unbind while the actor still serves: providers finish the deliveries they accepted.
    // In a lattice, links belong to the lattice and outlive the actor on one host.
    if (!this.#remote) for (const binding of this.bindings.forActor(key)) await this.unbind(key, binding.capabilityId, binding.binding);
    await this.#implicitExtras.actorStopped(key);
    this.#actors.delete(key);
    await record.pool.drain(this.#options.drainMs ?? 10_000);
    record.lifecycle.send({ type: "STOPPED" });
    record.lifecycle.stop();
  }

  /** Invokes an operation on an actor running on this host. */
  invoke(actorKey: string, operation: string, payload: Uint8Array): Promise<Uint8Array> {
    return this.#invoke(actorKey, operation, payload, invokeBytes);
  }

  /**
   * Invokes `HandleRequest` with the request as its fields, as `invoke` does (spans, metrics,
   * the pool's deadline and metering): a runnable's pool takes and answers them as they are,
   * any other actor gets the waSCC payloads (docs/runnables.md).
   */
  invokeHttp(actorKey: string, request: HttpRequest): HttpResponse | Promise<HttpResponse> {
    const record = this.#actors.get(actorKey);
    // Untraced and unmeasured, a response answered at once (a direct call) is handed back as it is.
    if (record?.pool.invokeHttp && !this.tracing && this.events.listenerCount("invocation_done") === 0) return record.pool.invokeHttp(request);
    return this.#invoke(actorKey, OP_HANDLE_REQUEST, request, invokeHttpFields);
  }

  /**
   * Invokes `Job` with the job as its fields (a bundle's step on this host; headers lower-cased,
   * state the call's own), as `invokeHttp` does: a runnable's pool takes and answers them as
   * they are, a waPC actor gets the MessagePack payloads.
   */
  invokeJob(actorKey: string, request: JobRequest): JobReply | Promise<JobReply> {
    const record = this.#actors.get(actorKey);
    // Untraced and unmeasured, a reply answered at once (a direct call) is handed back as it is.
    if (record?.pool.invokeJob && !this.tracing && this.events.listenerCount("invocation_done") === 0) return record.pool.invokeJob(request);
    return this.#invoke(actorKey, OP_JOB, request, invokeJobFields);
  }

  /** `call` is one of the module's functions and `input` its argument: no closure per invocation. */
  #invoke<I, T>(actorKey: string, operation: string, input: I, call: PoolCall<I, T>): Promise<T> {
    const record = this.#actors.get(actorKey);
    if (!record) return Promise.reject(new WactorError("WACTOR_ERR_ACTOR_NOT_FOUND", actorKey));
    if (this.tracing)
      return traceInvocation(this.tracing, record.identity, operation, (trace) => this.#measured(record, actorKey, operation, trace, input, call));
    return this.#measured(record, actorKey, operation, undefined, input, call);
  }

  #measured<I, T>(record: ActorRecord, actorKey: string, operation: string, trace: InvocationTrace | undefined, input: I, call: PoolCall<I, T>): Promise<T> {
    if (this.events.listenerCount("invocation_done") === 0) return call(record.pool, operation, input, trace);
    const started = performance.now();
    const done = (errorCode: string | undefined): void => {
      this.events.emit("invocation_done", { actorKey, operation, seconds: (performance.now() - started) / 1000, errorCode });
    };
    return call(record.pool, operation, input, trace).then(
      (reply) => {
        done(undefined);
        return reply;
      },
      (err: unknown) => {
        done(toWactorError(err).code);
        throw err;
      },
    );
  }

  /** Joins a lattice: calls to actors and providers not running here are sent there. */
  setRemoteRouter(remote: RemoteRouter | undefined): void {
    this.#remote = remote;
  }

  /** Changes the number of instances of a running actor (a new pool; in-flight calls finish on the old). */
  async scaleActor(key: string, instances: number): Promise<ActorInfo> {
    const record = this.#requireActor(key);
    return this.replaceActor(key, record.bytes, { instances });
  }

  /**
   * Gives a running actor another source of static files (a bundle, say), or none; it
   * replaces the one its `staticDir` option made.
   */
  setStaticFiles(key: string, source: StaticFiles | undefined): void {
    this.#requireActor(key).staticFiles = source;
  }

  /** The verified module bytes of a running actor. */
  actorModule(key: string): Uint8Array | undefined {
    return this.#actors.get(key)?.bytes;
  }

  /**
   * A call that arrived from another host for this host's provider. The caller's identity
   * comes from the sending host's signed invocation; the rule is checked again here.
   */
  callLocalProvider(caller: ActorIdentity, capabilityId: string, binding: string, operation: string, payload: Uint8Array): Promise<Uint8Array> {
    const name = normalizeBinding(binding);
    this.authorizer.authorize(caller, capabilityId, name, operation);
    const provider = this.#providers.get(capabilityId);
    if (!provider) return Promise.reject(new WactorError("WACTOR_ERR_NO_PROVIDER", capabilityId));
    return provider.handleCall({ actor: caller, binding: name, operation, payload });
  }

  async addProvider(provider: CapabilityProvider): Promise<void> {
    const capabilityId = provider.capabilityId;
    const current = this.#providers.get(capabilityId);
    // Only the extras provider the host carries by itself (implicit-extras.ts) gives way.
    if (current && !this.#implicitExtras.owns(current)) throw new WactorError("WACTOR_ERR_BAD_ARGUMENT", `a provider for ${capabilityId} is already running`);
    await provider.start(
      providerContext(capabilityId, {
        logger: this.logger.child({ capability: capabilityId }),
        tracing: this.tracing,
        bindings: this.bindings,
        identity: (key) => this.#actors.get(key)?.identity,
        remote: () => this.#remote,
        invoke: (key, operation, payload) => this.invoke(key, operation, payload),
        invokeHttp: (key, request) => this.invokeHttp(key, request),
      }),
    );
    if (current) await this.#implicitExtras.handOver(provider, (key) => this.#actors.get(key)?.identity);
    this.#providers.set(capabilityId, provider);
    this.events.emit("provider_started", { capabilityId, name: provider.name });
  }

  /**
   * Stops one provider while the host keeps running: its bindings are released through it
   * first (ports closed, deliveries in flight answered), then it stops. In a lattice the
   * binding table keeps the links (they belong to the lattice, another host's provider may
   * serve them); a standalone host has nowhere else to send them, so they go.
   */
  async removeProvider(capabilityId: string): Promise<void> {
    const provider = this.#providers.get(capabilityId);
    if (!provider) throw new WactorError("WACTOR_ERR_NO_PROVIDER", `no provider for ${capabilityId} runs on this host: nothing to stop`);
    // Out of the table first: calls made from now on no longer reach it.
    this.#providers.delete(capabilityId);
    for (const b of this.bindings.all().filter((x) => x.capabilityId === capabilityId)) {
      await provider
        .unbind(b.actorKey, b.binding)
        .catch((err: unknown) => this.logger.warn({ capabilityId, binding: b.binding, err }, "provider failed to unbind"));
      if (this.#remote) continue;
      this.bindings.delete(b.actorKey, capabilityId, b.binding);
      this.events.emit("binding_changed", { actorKey: b.actorKey, capabilityId, binding: b.binding, change: "deleted" });
    }
    await provider.stop().catch((err: unknown) => this.logger.error({ capabilityId, err }, "provider failed to stop"));
    this.logger.info({ capabilityId }, "provider stopped");
    this.events.emit("provider_stopped", { capabilityId, name: provider.name });
  }

  providerIds(): string[] {
    return [...this.#providers.keys()];
  }

  provider(capabilityId: string): CapabilityProvider | undefined {
    return this.#providers.get(capabilityId);
  }

  /**
   * Binds an actor to a capability; a local provider validates the values before this
   * resolves. In a lattice the actor or the provider may run on another host: `identity`
   * then names the actor (from the lattice's claims), and a binding without a local
   * provider only records the link for authorization here.
   */
  async bind(
    actorKey: string,
    capabilityId: string,
    binding: string | undefined,
    values: Record<string, string> = {},
    identity?: ActorIdentity,
  ): Promise<void> {
    const record = this.#actors.get(actorKey);
    const actor = record?.identity ?? identity;
    if (!actor && !this.#remote) throw new WactorError("WACTOR_ERR_ACTOR_NOT_FOUND", actorKey);
    const name = normalizeBinding(binding);
    // A remote actor named without its claims (empty caps) is checked where it runs.
    if (record) assertMayBind({ key: actorKey, name: record.claims.name, caps: record.claims.caps }, capabilityId);
    else if (actor && actor.caps.length > 0) assertMayBind(actor, capabilityId);
    const provider = this.#providers.get(capabilityId);
    if (!provider && !this.#remote) throw new WactorError("WACTOR_ERR_NO_PROVIDER", capabilityId);
    if (this.bindings.has(actorKey, capabilityId, name)) await this.unbind(actorKey, capabilityId, name);
    await provider?.bind(actor ?? { key: actorKey, issuer: "", caps: [] }, name, values);
    this.bindings.set({ actorKey, capabilityId, binding: name, values });
    this.#implicitExtras.boundExplicitly(actorKey, capabilityId, name);
    this.events.emit("binding_changed", { actorKey, capabilityId, binding: name, change: "put" });
  }

  async unbind(actorKey: string, capabilityId: string, binding: string | undefined): Promise<void> {
    const name = normalizeBinding(binding);
    if (!this.bindings.delete(actorKey, capabilityId, name)) return;
    await this.#providers.get(capabilityId)?.unbind(actorKey, name);
    this.events.emit("binding_changed", { actorKey, capabilityId, binding: name, change: "deleted" });
  }

  listBindings(): Binding[] {
    return this.bindings.all();
  }

  actorInfo(key: string): ActorInfo | undefined {
    const record = this.#actors.get(key);
    if (!record) return undefined;
    const snapshot = record.lifecycle.getSnapshot();
    return {
      key,
      name: record.claims.name,
      claims: record.claims,
      state: snapshot.value as LifecycleState,
      reason: snapshot.context.reason,
      instances: record.options.instances,
      liveInstances: record.pool.size,
      isolation: record.isolation,
      inFlight: record.pool.inFlight,
      memoryBytes: record.pool.memoryBytes,
    };
  }

  listActors(): ActorInfo[] {
    return [...this.#actors.keys()].map((key) => this.actorInfo(key)!);
  }

  /** Finds a running actor by module key or by its claims name. */
  resolveActor(ref: string): string | undefined {
    if (this.#actors.has(ref)) return ref;
    return [...this.#actors.values()].find((r) => r.claims.name === ref)?.claims.subject;
  }

  /**
   * Stops in three steps so nothing accepted is cut: providers stop taking new work and
   * finish what they accepted, then actors drain (bounded), then providers release everything.
   */
  async shutdown(): Promise<void> {
    await Promise.allSettled([...this.#providers.values()].map((p) => p.quiesce?.()));
    await Promise.allSettled([...this.#actors.keys()].map((key) => this.stopActor(key)));
    for (const [capabilityId, provider] of this.#providers) {
      await provider.stop().catch((err: unknown) => this.logger.error({ capabilityId, err }, "provider failed to stop"));
      this.events.emit("provider_stopped", { capabilityId, name: provider.name });
    }
    this.#providers.clear();
  }

  /** The accounts whose signatures this host accepts on modules (empty: any valid signature). */
  get trustedIssuers(): readonly string[] {
    return this.#options.trustedIssuers ?? [];
  }

  #verifyOptions(): { trustedIssuers: string[] } {
    return { trustedIssuers: this.#options.trustedIssuers ?? [] };
  }

  #startPool(claims: ActorClaims, bytes: Uint8Array, options: Required<ActorOptions>): Promise<{ pool: ActorPool; isolation: Isolation }> {
    const key = claims.subject;
    return startActorPool({
      bytes,
      codeHash: claims.hash,
      identity: { key, name: claims.name, caps: claims.caps },
      isolation: options.isolation,
      instances: options.instances,
      maxQueue: options.maxQueue,
      deadlineMs: options.deadlineMs,
      maxMemoryBytes: options.maxMemoryBytes,
      ...(this.#options.cacheDir !== undefined && { cacheDir: this.#options.cacheDir }),
      hostCall: createHostCallHandler(key, this.#targets),
      httpClient: createHttpClientHandler(key, this.#targets),
      onLog: (line) => this.logger.info({ actor: key }, line),
      onDenied: (capabilityId, binding, operation, count) =>
        this.authorizer.record({ actorKey: key, actorName: claims.name, capabilityId, binding, operation, reason: "not-claimed", count }),
      onReplaced: (reason) => {
        this.logger.warn({ actor: key, reason }, "actor instance replaced");
        this.events.emit("instance_replaced", { actorKey: key, reason });
      },
      onDirectOff: (reason) =>
        this.logger.info(
          { actor: key, reason },
          reason === "wait"
            ? "actor makes host calls: its invocations run on the serve loop"
            : "actor outruns its slices: its invocations run on the serve loop",
        ),
      onDirectOn: () => this.logger.info({ actor: key }, "actor's invocations finish without suspending again: they run as direct calls"),
      onFallback: (why) => this.logger.warn({ actor: key, why }, "actor runs on dedicated worker threads: its module cannot be metered"),
    });
  }

  #requireActor(key: string): ActorRecord {
    const record = this.#actors.get(key);
    if (!record) throw new WactorError("WACTOR_ERR_ACTOR_NOT_FOUND", key);
    return record;
  }
}

/** How an invocation reaches its pool, given the operation and its input. */
type PoolCall<I, T> = (pool: ActorPool, operation: string, input: I, trace: InvocationTrace | undefined) => Promise<T>;

const invokeBytes: PoolCall<Uint8Array, Uint8Array> = (pool, operation, payload, trace) => pool.invoke(operation, payload, trace);

/** A runnable's pool takes the job's fields (answered at once or later); any other pool gets its MessagePack. */
const invokeJobFields: PoolCall<JobRequest, JobReply> = async (pool, _operation, request, trace) =>
  pool.invokeJob ? pool.invokeJob(request, trace) : pool.invoke(OP_JOB, encodeJobRequest(request), trace).then(decodeJobReply);

/** A runnable's pool takes the request's fields; any other pool gets the waSCC payload. */
const invokeHttpFields: PoolCall<HttpRequest, HttpResponse> = async (pool, _operation, request, trace) =>
  pool.invokeHttp ? pool.invokeHttp(request, trace) : pool.invoke(OP_HANDLE_REQUEST, encodeHttpRequest(request), trace).then(decodeHttpResponse);

function staticFilesOf(options: Required<ActorOptions>): StaticFiles | undefined {
  return options.staticDir === "" ? undefined : new DirectoryStaticFiles(options.staticDir);
}
