/**
 * Turns a host manifest into a running host: providers, actors, then bindings (each one
 * validated by its provider). All or nothing: on any failure everything started so far is
 * stopped again, so a bad manifest never leaves a port open.
 */
import type { Tracing } from "../tracing/tracing.js";
import { pathToFileURL } from "node:url";
import type { Logger } from "pino";
import { BUILTIN_CAPABILITIES, createBuiltinProvider, isBuiltinCapability } from "../../capabilities/mod.js";
import { WactorError, isWactorError } from "../errors.js";
import { Host, type ActorInfo } from "../host/host.js";
import type { CapabilityProvider } from "../provider/contract.js";
import { pullBundleFromEnv } from "../oci/bundles.js";
import { pullActorFromEnv } from "../oci/registry.js";
import type { HostManifest, ManifestBundle } from "./host-manifest.js";
import { loadBundleFile } from "../bundle/load.js";
import { BundleRunner } from "../bundle/run/bundle-runner.js";

export interface RunningManifest {
  host: Host;
  actors: ActorInfo[];
  /** The manifest's bundles, running; stop them before the host shuts down (their timers). */
  bundles?: BundleRunner[];
}

async function loadProviderModule(path: string): Promise<CapabilityProvider> {
  try {
    const mod = (await import(pathToFileURL(path).href)) as { default?: unknown };
    const factory = mod.default;
    const provider = typeof factory === "function" ? await (factory as () => unknown)() : undefined;
    const p = provider as Partial<CapabilityProvider> | undefined;
    if (!p || typeof p.capabilityId !== "string" || typeof p.handleCall !== "function" || typeof p.bind !== "function") {
      throw new WactorError("WACTOR_ERR_PROVIDER_MODULE", `${path}: the default export did not return a CapabilityProvider`);
    }
    return p as CapabilityProvider;
  } catch (err) {
    if (isWactorError(err)) throw err;
    throw new WactorError("WACTOR_ERR_PROVIDER_MODULE", `${path}: ${(err as Error).message}`);
  }
}

function builtin(capabilityId: string): CapabilityProvider {
  if (!isBuiltinCapability(capabilityId)) {
    throw new WactorError(
      "WACTOR_ERR_MANIFEST_REFERENCE",
      `no built-in provider for '${capabilityId}' (built in: ${BUILTIN_CAPABILITIES.join(", ")}); name a provider module with 'path'`,
    );
  }
  return createBuiltinProvider(capabilityId);
}

/** Capability providers the manifest asks for, plus built-ins its bindings need. */
async function providersFor(manifest: HostManifest, logger: Logger): Promise<CapabilityProvider[]> {
  const byId = new Map<string, CapabilityProvider>();
  for (const entry of manifest.capabilities) {
    if (entry.modulePath) {
      const provider = await loadProviderModule(entry.modulePath);
      byId.set(provider.capabilityId, provider);
    } else if (entry.id && !byId.has(entry.id)) {
      if (entry.nativeLibrary)
        logger.info(
          { library: entry.nativeLibrary, capability: entry.id },
          `waSCC native library ${entry.nativeLibrary} is served by wactor's built-in ${entry.id} provider`,
        );
      byId.set(entry.id, builtin(entry.id));
    } else if (!entry.id && entry.nativeLibrary) {
      // Unknown library name: the capability is taken from the bindings below.
      logger.info({ library: entry.nativeLibrary }, `waSCC native library ${entry.nativeLibrary}: capability taken from the bindings that use it`);
    }
  }
  for (const binding of manifest.bindings) {
    if (!byId.has(binding.capability)) {
      logger.info({ capability: binding.capability }, `capability ${binding.capability} is used by a binding: serving it with the built-in provider`);
      byId.set(binding.capability, builtin(binding.capability));
    }
  }
  return [...byId.values()];
}

/**
 * Each actor's module in manifest order: its path, or the bytes pulled (and verified) for its
 * reference. Pulled before anything starts: a registry that is down starts nothing.
 */
async function actorSources(manifest: HostManifest, logger: Logger): Promise<Array<string | Uint8Array>> {
  const sources: Array<string | Uint8Array> = [];
  for (const { path, ref } of manifest.actors) {
    sources.push(ref === undefined ? path! : (await pullActorFromEnv(ref, { trustedIssuers: manifest.trustedIssuers }, logger)).bytes);
  }
  return sources;
}

/** A host configured from the manifest (trusted issuers), not started yet. */
export function hostForManifest(manifest: HostManifest, logger: Logger, tracing?: Tracing): Host {
  return new Host({ logger, trustedIssuers: manifest.trustedIssuers, ...(tracing && { tracing }) });
}

export interface ApplyOptions {
  logger: Logger;
  host?: Host;
  /** Leave the bindings out (a lattice host puts them as lattice links instead). */
  skipBindings?: boolean;
}

/** Loads (seal, claims against the manifest's trusted issuers) and starts one bundle. */
async function startBundle(host: Host, manifest: HostManifest, entry: ManifestBundle, logger: Logger): Promise<BundleRunner> {
  const trust = { trustedIssuers: manifest.trustedIssuers };
  const bundle = entry.ref === undefined ? await loadBundleFile(entry.path!, trust) : (await pullBundleFromEnv(entry.ref, trust, logger)).bundle;
  const runner = new BundleRunner(host, bundle, {
    http: { port: entry.port, host: entry.listen },
    allowedHosts: entry.allowedHosts,
    runSchedules: entry.runSchedules,
    ...(entry.cacheUrl !== undefined && { cacheUrl: entry.cacheUrl }),
    ...(entry.cacheKeyPrefix !== undefined && { cacheKeyPrefix: entry.cacheKeyPrefix }),
    ...(entry.messaging !== undefined && { messaging: entry.messaging }),
    ...(entry.headless !== undefined && { headless: entry.headless }),
    ...(entry.stepTimeoutMs !== undefined && { stepTimeoutMs: entry.stepTimeoutMs }),
    ...(entry.forEachConcurrency !== undefined && { forEachConcurrency: entry.forEachConcurrency }),
    ...(entry.instances !== undefined && { instances: entry.instances }),
  });
  await runner.start();
  return runner;
}

export async function applyHostManifest(manifest: HostManifest, options: ApplyOptions): Promise<RunningManifest> {
  const host = options.host ?? hostForManifest(manifest, options.logger);
  const bundles: BundleRunner[] = [];
  try {
    const sources = await actorSources(manifest, options.logger);
    for (const provider of await providersFor(manifest, options.logger)) await host.addProvider(provider);
    const actors: ActorInfo[] = [];
    for (const [i, actor] of manifest.actors.entries()) {
      const { path: _path, ref: _ref, ...limits } = actor;
      actors.push(await host.startActor(sources[i]!, limits));
    }
    for (const binding of options.skipBindings ? [] : manifest.bindings) {
      const key = host.resolveActor(binding.actor);
      if (!key) {
        throw new WactorError(
          "WACTOR_ERR_MANIFEST_REFERENCE",
          `binding names actor '${binding.actor}', which is neither the key nor the name of an actor in this manifest`,
        );
      }
      await host.bind(key, binding.capability, binding.binding, binding.values);
    }
    for (const entry of manifest.bundles) bundles.push(await startBundle(host, manifest, entry, options.logger));
    return { host, actors, bundles };
  } catch (err) {
    for (const runner of bundles) await runner.stop();
    await host.shutdown();
    throw err;
  }
}
