/**
 * Bundles on lattice hosts (`wactor app deploy` of a bundle, docs/directive.md "Bundles on a
 * lattice"). On a worker, a bundle's function starts from the bundle's archive with the
 * bundle's static files; on an edge host, the bundle's routes are served here and each step
 * reaches its function wherever it runs (BundleRunner with `remote`). Either way the archive
 * comes from the lattice's object store, which is not trusted: it is loaded as `wactor up`
 * loads one — the seal first (nothing changed, added or removed since signing), then every
 * module's claims against this host's trusted issuers.
 */
import type { Logger } from "pino";
import { loadBundle, type LoadedBundle } from "../../bundle/load.js";
import { BundleRunner } from "../../bundle/run/bundle-runner.js";
import type { FunctionCall } from "../../bundle/run/remote-functions.js";
import { bundleStaticSource } from "../../bundle/run/static-source.js";
import { WactorError } from "../../errors.js";
import type { Host } from "../../host/host.js";
import type { StaticFiles } from "../../host/static-files.js";
import { moduleDigest, type ArtifactStore } from "../state/artifact-store.js";
import type { RunningBundle, StartBundleRequest, StopBundleRequest } from "../wire/control-types.js";
import { isOwner, type Owner } from "../wire/ownership.js";

const DIGEST = /^[0-9A-F]{64}$/;

/** A sealed bundle from the object store, checked as `wactor up` checks a file. */
export async function loadStoredBundle(artifacts: ArtifactStore, host: Host, digest: unknown): Promise<LoadedBundle> {
  if (typeof digest !== "string" || !DIGEST.test(digest))
    throw new WactorError("WACTOR_ERR_BAD_ARGUMENT", "a bundle is named by its SHA-256 (64 upper-hex digits)");
  const bytes = await artifacts.get(digest);
  if (moduleDigest(bytes) !== digest)
    throw new WactorError("WACTOR_ERR_BUNDLE_TAMPERED", `bundle ${digest}: the object store holds other bytes under its name`);
  return loadBundle(bytes, `bundle ${digest.slice(0, 12)}`, { trustedIssuers: host.trustedIssuers });
}

/** One function of a stored bundle (by its module's digest), with the bundle's static files. */
export async function bundleFunction(
  artifacts: ArtifactStore,
  host: Host,
  bundleDigest: unknown,
  moduleRef: string,
): Promise<{ bytes: Uint8Array; statics: StaticFiles }> {
  const bundle = await loadStoredBundle(artifacts, host, bundleDigest);
  const found = bundle.modules.find((m) => moduleDigest(m.bytes) === moduleRef);
  if (!found) throw new WactorError("WACTOR_ERR_BUNDLE", `bundle ${String(bundleDigest).slice(0, 12)}: no function module ${moduleRef}`);
  return { bytes: found.bytes, statics: bundleStaticSource(bundle.statics) };
}

export interface BundleRoutesOptions {
  host: Host;
  artifacts: ArtifactStore;
  logger: Logger;
  /** Invokes an actor wherever it runs in the lattice (here first). */
  call: FunctionCall;
}

interface Served {
  runner: BundleRunner;
  bundle: LoadedBundle;
  owner: Owner | undefined;
  schedules: boolean;
}

/** The bundles whose routes this host serves. Starts and stops run one at a time. */
export class BundleRoutes {
  readonly #o: BundleRoutesOptions;
  readonly #served = new Map<string, Served>();
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: BundleRoutesOptions) {
    this.#o = options;
  }

  list(): RunningBundle[] {
    return [...this.#served].map(([digest, s]) => ({
      digest,
      identifier: s.bundle.directive.identifier,
      appVersion: s.bundle.directive.appVersion,
      address: s.runner.info?.address,
      schedules: s.schedules,
      ...(s.owner && { owner: s.owner }),
      steps: s.runner.stepTimings.snapshot(),
    }));
  }

  /** Calls tried again on this host because no host ran a function at that moment (all bundles). */
  retries(): number {
    return [...this.#served.values()].reduce((n, s) => n + s.runner.retries, 0);
  }

  start(request: StartBundleRequest): Promise<RunningBundle> {
    return this.#serial(() => this.#start(request));
  }

  stop(request: StopBundleRequest): Promise<{ digest: string; stopped: boolean }> {
    return this.#serial(async () => {
      const served = this.#served.get(request.digest);
      if (!served) return { digest: request.digest, stopped: false };
      this.#served.delete(request.digest);
      await served.runner.stop();
      return { digest: request.digest, stopped: true };
    });
  }

  /** Stops serving every bundle (the host leaves). */
  stopAll(): Promise<void> {
    return this.#serial(async () => {
      const all = [...this.#served.values()];
      this.#served.clear();
      await Promise.all(all.map((s) => s.runner.stop().catch((err: unknown) => this.#o.logger.warn({ err }, "bundle routes failed to stop"))));
    });
  }

  async #start(request: StartBundleRequest): Promise<RunningBundle> {
    const { digest, port, listen, owner, schedules, messaging } = request;
    if (messaging !== undefined && (typeof messaging !== "object" || messaging === null || !Object.values(messaging).every((v) => typeof v === "string")))
      throw new WactorError("WACTOR_ERR_BAD_ARGUMENT", "start_bundle: 'messaging' must map names to strings");
    if (schedules !== undefined && typeof schedules !== "boolean")
      throw new WactorError("WACTOR_ERR_BAD_ARGUMENT", "start_bundle: 'schedules' must be true or false");
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new WactorError("WACTOR_ERR_BAD_ARGUMENT", "start_bundle needs a 'port' (0-65535)");
    if (listen !== undefined && (typeof listen !== "string" || listen === ""))
      throw new WactorError("WACTOR_ERR_BAD_ARGUMENT", "start_bundle: 'listen' must be an address");
    if (owner !== undefined && !isOwner(owner)) throw new WactorError("WACTOR_ERR_BAD_ARGUMENT", "start_bundle: 'owner' must be { app, version }");
    const current = this.#served.get(digest);
    if (current) {
      if (owner) current.owner = owner;
      if (schedules !== undefined && schedules !== current.schedules) {
        current.schedules = schedules;
        await current.runner.setSchedules(schedules);
      }
      return this.#running(digest);
    }
    const bundle = await loadStoredBundle(this.#o.artifacts, this.#o.host, digest);
    // Another version of the same application's bundle gives up its port first: a new
    // version replaces the old one on the edge (a short gap; docs/directive.md says so).
    for (const [other, served] of this.#served) {
      if (owner && served.owner?.app === owner.app && served.bundle.directive.identifier === bundle.directive.identifier) {
        this.#served.delete(other);
        await served.runner.stop();
      }
    }
    // Schedules run only where asked: the deployer asks one edge host, not every one.
    const runner = new BundleRunner(this.#o.host, bundle, {
      http: { port, host: listen ?? "127.0.0.1" },
      remote: this.#o.call,
      runSchedules: schedules ?? false,
      ...(messaging !== undefined && { messaging }),
    });
    await runner.start();
    this.#served.set(digest, { runner, bundle, owner, schedules: schedules ?? false });
    return this.#running(digest);
  }

  #running(digest: string): RunningBundle {
    return this.list().find((b) => b.digest === digest)!;
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(work, work);
    this.#queue = next.catch(() => {});
    return next;
  }
}
