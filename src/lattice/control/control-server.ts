/**
 * This host's side of the control interface: answers pings, inventories, start/stop/scale
 * commands addressed to it, and link validations for capabilities its providers serve.
 */
import type { Msg, NatsConnection, Subscription } from "nats";
import type { Logger } from "pino";
import { createBuiltinProvider, isBuiltinCapability } from "../../../capabilities/mod.js";
import type { ActorClaims } from "../../claims/types.js";
import { assertValidModule } from "../../claims/verify.js";
import { WactorError, isWactorError } from "../../errors.js";
import type { Host } from "../../host/host.js";
import { isOciReference } from "../../oci/reference.js";
import { pullActorFromEnv } from "../../oci/registry.js";
import { checkInstances } from "../../host/instance-count.js";
import { objectNameOf } from "../state/actor-ref.js";
import type { ArtifactStore } from "../state/artifact-store.js";
import type { ClaimsStore } from "../state/claims-store.js";
import type { ControlGate, ControlKind } from "../trust/control-auth.js";
import { decodeJson, encodeJson, replyError, replyOk } from "../wire/control-codec.js";
import type {
  HostSummary,
  Inventory,
  InventoryActor,
  LinkValidation,
  ProviderCommandResult,
  ScaleActorRequest,
  StartActorRequest,
  StartBundleRequest,
  StartProviderRequest,
  StopBundleRequest,
  StopActorRequest,
  StopProviderRequest,
  UpdateActorRequest,
} from "../wire/control-types.js";
import type { Link } from "../state/link-store.js";
import type { LinkSync } from "./link-sync.js";
import { bundleFunction, type BundleRoutes } from "./bundle-routes.js";
import { isOwner, type Owner } from "../wire/ownership.js";
import type { LatticeSubjects } from "../wire/subjects.js";

export interface ControlServerOptions {
  nc: NatsConnection;
  subjects: LatticeSubjects;
  hostId: string;
  host: Host;
  links: LinkSync;
  artifacts: ArtifactStore;
  claims: ClaimsStore;
  /** The bundles whose routes this host serves (start_bundle, stop_bundle). */
  bundles: BundleRoutes;
  logger: Logger;
  /** Checks each request's signature before its handler runs (operator-signed control). */
  gate: ControlGate;
  summary(): HostSummary;
  /** Resolves once a started actor's claims are in the lattice and it takes invocations. */
  announced(actorKey: string): Promise<void>;
}

/** The claims an inventory shows beside the capabilities. */
function claimsSummary(claims: ActorClaims): Pick<InventoryActor, "issuer" | "tags" | "version" | "expires"> {
  const version =
    [claims.ver, claims.rev === undefined ? undefined : `rev ${claims.rev}`].filter((part) => part !== undefined && part !== "").join(", ") || undefined;
  return { issuer: claims.issuer, tags: [...claims.tags], version, expires: claims.exp };
}

type Handler = (request: unknown) => Promise<unknown>;

export class ControlServer {
  readonly #o: ControlServerOptions;
  readonly #subscriptions: Subscription[] = [];
  /**
   * Capability -> applications it was started for by `start_provider`. A provider the host
   * ran before any application asked (its manifest, an operator) gets no entry: no
   * application owns it, so none stops it.
   */
  readonly #providerApps = new Map<string, Set<string>>();
  /** Actor key -> the application whose reconciler placed it here; none: started by hand or by the manifest. */
  readonly #actorApps = new Map<string, Owner>();
  /** Provider starts and stops one at a time: a start racing a stop never leaves two. */
  #providerQueue: Promise<unknown> = Promise.resolve();

  constructor(options: ControlServerOptions) {
    this.#o = options;
  }

  start(): void {
    const { subjects, hostId } = this.#o;
    this.#answer(subjects.control("ping"), async () => this.#o.summary(), "query");
    this.#answer(subjects.hostControl(hostId, "inventory"), async () => this.#inventory(), "query");
    // "Would you take a command signed like this?": for changes made in KV directly (a link
    // delete, a link no provider host validates), so an unsigned client is told, not fooled.
    this.#answer(subjects.control("authorize"), async () => ({ hostId }));
    this.#answer(subjects.hostControl(hostId, "start_actor"), (r) => this.#startActor(r as StartActorRequest));
    this.#answer(subjects.hostControl(hostId, "stop_actor"), (r) => this.#stopActor(r as StopActorRequest));
    this.#answer(subjects.hostControl(hostId, "scale_actor"), (r) => this.#scaleActor(r as ScaleActorRequest));
    this.#answer(subjects.hostControl(hostId, "update_actor"), (r) => this.#updateActor(r as UpdateActorRequest));
    this.#answer(subjects.hostControl(hostId, "start_bundle"), (r) => this.#o.bundles.start(r as StartBundleRequest));
    this.#answer(subjects.hostControl(hostId, "stop_bundle"), (r) => this.#o.bundles.stop(r as StopBundleRequest));
    this.#answer(subjects.hostControl(hostId, "start_provider"), (r) => this.#providerCommand(() => this.#startProvider(r as StartProviderRequest)));
    this.#answer(subjects.hostControl(hostId, "stop_provider"), (r) => this.#providerCommand(() => this.#stopProvider(r as StopProviderRequest)));
    // Only hosts whose provider serves the capability answer a validation; others stay silent.
    this.#on(subjects.control("link.validate"), async (msg) => {
      const link = decodeJson<Link>(msg.data);
      if (!this.#o.host.provider(link.capabilityId)) return;
      const refusal = this.#refusal(msg);
      msg.respond(encodeJson(refusal ?? (await this.#o.links.apply(link))));
    });
    this.#on(subjects.control("link.resync"), async (msg) => {
      if (this.#refusal(msg)) return;
      const link = decodeJson<Link>(msg.data);
      await this.#o.links.resync(link.actorKey, link.capabilityId, link.binding);
      if (msg.reply) msg.respond(encodeJson({ hostId }));
    });
  }

  stop(): void {
    for (const sub of this.#subscriptions) sub.unsubscribe();
  }

  /** For the host summary: capability -> applications its provider was started for. */
  providerApps(): Record<string, string[]> {
    return Object.fromEntries([...this.#providerApps].map(([id, apps]) => [id, [...apps].sort()]));
  }

  /** For the host summary: running actor -> the application that placed it (actors stopped meanwhile are left out). */
  actorApps(): Record<string, Owner> {
    const running = new Set(this.#o.host.listActors().map((a) => a.key));
    return Object.fromEntries([...this.#actorApps].filter(([key]) => running.has(key)));
  }

  /** Records which application a placement belongs to; a command without one (by hand) leaves the record as it is. */
  #own(key: string, owner: Owner | undefined): void {
    if (owner) this.#actorApps.set(key, { app: owner.app, version: owner.version });
  }

  /** A link validation refused by the gate, as the validation the client reads; undefined when signed as needed. */
  #refusal(msg: Msg): LinkValidation | undefined {
    try {
      this.#o.gate.check(msg, "command");
      return undefined;
    } catch (err) {
      const error = err as WactorError;
      return { hostId: this.#o.hostId, ok: false, code: error.code, detail: error.detail ?? error.message };
    }
  }

  #answer(subject: string, handler: Handler, kind: ControlKind = "command"): void {
    this.#on(subject, async (msg) => {
      try {
        this.#o.gate.check(msg, kind);
        msg.respond(replyOk(await handler(decodeRequest(msg.data))));
      } catch (err) {
        if (!isWactorError(err)) this.#o.logger.error({ err, subject }, "control request failed unexpectedly");
        msg.respond(replyError(err));
      }
    });
  }

  #on(subject: string, handler: (msg: Msg) => Promise<void>): void {
    this.#subscriptions.push(
      this.#o.nc.subscribe(subject, {
        callback: (err, msg) => {
          if (!err) handler(msg).catch((e: unknown) => this.#o.logger.error({ err: e, subject }, "control handler failed"));
        },
      }),
    );
  }

  #inventory(): Inventory {
    const { host } = this.#o;
    const owners = this.actorApps();
    const actors = host.listActors().map((a) => {
      const owner = owners[a.key];
      return {
        key: a.key,
        name: a.name,
        instances: a.instances,
        state: a.state,
        reason: a.reason,
        caps: [...a.claims.caps],
        ...claimsSummary(a.claims),
        inFlight: a.inFlight,
        ...(owner && { owner }),
      };
    });
    const providers = new Map<string, Inventory["providers"][number]>();
    for (const capabilityId of this.#o.summary().providers) {
      const provider = host.provider(capabilityId);
      if (provider)
        providers.set(capabilityId, { capabilityId, name: provider.name, apps: [...(this.#providerApps.get(capabilityId) ?? [])].sort(), bindings: [] });
    }
    for (const b of host.listBindings()) {
      const entry = providers.get(b.capabilityId);
      const status = host.provider(b.capabilityId)?.bindingStatus(b.actorKey, b.binding);
      if (entry && status) entry.bindings.push({ actorKey: b.actorKey, binding: b.binding, status });
    }
    return { host: this.#o.summary(), actors, providers: [...providers.values()] };
  }

  async #startActor(request: StartActorRequest): Promise<unknown> {
    if (typeof request.ref !== "string" || request.ref === "") throw new WactorError("WACTOR_ERR_BAD_ARGUMENT", "start_actor needs a 'ref'");
    checkOwner(request.owner, "start_actor");
    const options = request.instances !== undefined ? { instances: checkInstances(request.instances) } : {};
    // An OCI reference is pulled by this host itself, with its own registry settings (environment).
    // The host verifies the claims again: neither the object store nor a registry is trusted.
    // A bundle's function comes out of the sealed bundle (seal and claims checked here), with its static files.
    const fromBundle = request.bundle === undefined ? undefined : await bundleFunction(this.#o.artifacts, this.#o.host, request.bundle, request.ref);
    const bytes = fromBundle
      ? fromBundle.bytes
      : isOciReference(request.ref)
        ? (await pullActorFromEnv(request.ref, {}, this.#o.logger)).bytes
        : await this.#o.artifacts.get(await this.#resolveHash(request.ref));
    const info = await this.#o.host.startActor(bytes, options);
    if (fromBundle) this.#o.host.setStaticFiles(info.key, fromBundle.statics);
    this.#actorApps.delete(info.key);
    this.#own(info.key, request.owner);
    await this.#o.announced(info.key);
    return { hostId: this.#o.hostId, key: info.key, name: info.name, instances: info.instances, state: info.state };
  }

  async #stopActor(request: StopActorRequest): Promise<unknown> {
    const key = this.#o.host.resolveActor(request.key);
    if (!key) throw new WactorError("WACTOR_ERR_ACTOR_NOT_FOUND", `${request.key} on host ${this.#o.hostId}`);
    await this.#o.host.stopActor(key);
    this.#actorApps.delete(key);
    return { hostId: this.#o.hostId, key };
  }

  async #scaleActor(request: ScaleActorRequest): Promise<unknown> {
    const key = this.#o.host.resolveActor(request.key);
    if (!key) throw new WactorError("WACTOR_ERR_ACTOR_NOT_FOUND", `${request.key} on host ${this.#o.hostId}`);
    checkOwner(request.owner, "scale_actor");
    const instances = checkInstances(request.instances);
    this.#own(key, request.owner);
    // The reconciler adopting a placement at its count: recorded, nothing restarted.
    if (request.owner && this.#o.host.actorInfo(key)?.instances === instances) return { hostId: this.#o.hostId, key, instances };
    const info = await this.#o.host.scaleActor(key, instances);
    await this.#o.announced(key);
    return { hostId: this.#o.hostId, key, instances: info.instances };
  }

  /** Live update to another signing of the same actor (same subject), fetched from the object store and verified. */
  async #updateActor(request: UpdateActorRequest): Promise<unknown> {
    if (typeof request.ref !== "string" || request.ref === "") throw new WactorError("WACTOR_ERR_BAD_ARGUMENT", "update_actor needs a 'ref'");
    checkOwner(request.owner, "update_actor");
    const fromBundle = request.bundle === undefined ? undefined : await bundleFunction(this.#o.artifacts, this.#o.host, request.bundle, request.ref);
    const bytes = fromBundle ? fromBundle.bytes : await this.#o.artifacts.get(await this.#resolveHash(request.ref));
    const { claims } = await assertValidModule(bytes);
    const info = await this.#o.host.replaceActor(claims.subject, bytes);
    if (fromBundle) this.#o.host.setStaticFiles(info.key, fromBundle.statics);
    this.#own(info.key, request.owner);
    await this.#o.announced(info.key);
    return { hostId: this.#o.hostId, key: info.key, instances: info.instances };
  }

  #providerCommand(work: () => Promise<ProviderCommandResult>): Promise<ProviderCommandResult> {
    const next = this.#providerQueue.then(work, work);
    this.#providerQueue = next.catch(() => {});
    return next;
  }

  #result(capabilityId: string): ProviderCommandResult {
    const apps = [...(this.#providerApps.get(capabilityId) ?? [])].sort();
    return { hostId: this.#o.hostId, capabilityId, running: this.#o.host.provider(capabilityId) !== undefined, apps };
  }

  /**
   * Starts a built-in provider here, then applies the stored links of its capability. With
   * an application, records that it wants the provider: when this request started it, or when
   * it already runs for other applications (then it outlives them while this one wants it).
   */
  async #startProvider(request: StartProviderRequest): Promise<ProviderCommandResult> {
    const { capabilityId, app } = request;
    checkApp(app, "start_provider");
    if (!isBuiltinCapability(capabilityId)) throw new WactorError("WACTOR_ERR_NO_PROVIDER", `no built-in provider for '${capabilityId}'`);
    if (!this.#o.host.provider(capabilityId)) {
      await this.#o.host.addProvider(createBuiltinProvider(capabilityId));
      if (app !== undefined) this.#providerApps.set(capabilityId, new Set([app]));
      await this.#o.links.applyStored(capabilityId);
    } else if (app !== undefined) {
      this.#providerApps.get(capabilityId)?.add(app);
    }
    return this.#result(capabilityId);
  }

  /**
   * Stops a provider here. With an application, only that application's claim goes, and the
   * provider stops once no application wants it; a provider it does not own (from the host's
   * manifest, or another application's) is left running and the answer says so.
   */
  async #stopProvider(request: StopProviderRequest): Promise<ProviderCommandResult> {
    const { capabilityId, app } = request;
    if (typeof capabilityId !== "string" || capabilityId === "") throw new WactorError("WACTOR_ERR_BAD_ARGUMENT", "stop_provider needs a 'capabilityId'");
    checkApp(app, "stop_provider");
    if (!this.#o.host.provider(capabilityId))
      throw new WactorError("WACTOR_ERR_NO_PROVIDER", `no provider for '${capabilityId}' runs on host ${this.#o.hostId}: nothing to stop`);
    const apps = this.#providerApps.get(capabilityId);
    if (app !== undefined) {
      if (!apps?.delete(app) || apps.size > 0) return this.#result(capabilityId);
    }
    this.#providerApps.delete(capabilityId);
    await this.#o.links.releaseProvider(capabilityId);
    return this.#result(capabilityId);
  }

  #resolveHash(ref: string): Promise<string> {
    return objectNameOf(this.#o.claims, ref);
  }
}

/** A request that is not JSON is the sender's fault, not an internal error. */
function decodeRequest(bytes: Uint8Array): unknown {
  try {
    return decodeJson(bytes);
  } catch (err) {
    throw new WactorError("WACTOR_ERR_BAD_PAYLOAD", `control request is not JSON: ${(err as Error).message}`);
  }
}

function checkApp(app: unknown, verb: string): void {
  if (app !== undefined && (typeof app !== "string" || app === ""))
    throw new WactorError("WACTOR_ERR_BAD_ARGUMENT", `${verb}: 'app' must be a non-empty string`);
}

function checkOwner(owner: unknown, verb: string): void {
  if (owner !== undefined && !isOwner(owner))
    throw new WactorError("WACTOR_ERR_BAD_ARGUMENT", `${verb}: 'owner' must be { app, version } with a non-empty app`);
}
