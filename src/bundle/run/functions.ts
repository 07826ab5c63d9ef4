/**
 * A bundle's functions on a host: each module starts as an actor (a Reactr runnable, or a waPC
 * actor that serves the `Job` operation: the host tells them apart by their exports), with
 * the bundle's static files and a binding for each bundle capability its claims name. All or
 * nothing: a function that fails to start stops the ones already started.
 */
import type { Logger } from "pino";
import { createBuiltinProvider } from "../../../capabilities/mod.js";
import type { Host } from "../../host/host.js";
import type { Isolation } from "../../runtime/actor-pool.js";
import type { LoadedBundle } from "../load.js";
import { BUNDLE_CAPABILITIES, bindingValues, type BundleCapabilityOptions } from "./capability-bindings.js";
import { bundleStaticSource } from "./static-source.js";

export interface FunctionOptions extends BundleCapabilityOptions {
  /** Per-invocation deadline of each function (the runner sets it just above the step timeout). */
  deadlineMs: number;
  instances?: number;
  isolation?: Isolation;
}

export interface StartedFunction {
  fqfn: string;
  /** The module key the host runs it under. */
  key: string;
  caps: readonly string[];
}

/** Adds the built-in provider for a capability unless the host has one; true when it was added here. */
export async function ensureProvider(host: Host, capabilityId: string): Promise<boolean> {
  if (host.provider(capabilityId)) return false;
  await host.addProvider(createBuiltinProvider(capabilityId));
  return true;
}

export async function startFunctions(
  host: Host,
  bundle: LoadedBundle,
  options: FunctionOptions,
  logger: Logger,
): Promise<{ functions: StartedFunction[]; addedProviders: string[] }> {
  const functions: StartedFunction[] = [];
  const addedProviders: string[] = [];
  const statics = bundleStaticSource(bundle.statics);
  try {
    for (const m of bundle.modules) {
      const info = await host.startActor(m.bytes, {
        deadlineMs: options.deadlineMs,
        ...(options.instances !== undefined && { instances: options.instances }),
        ...(options.isolation !== undefined && { isolation: options.isolation }),
      });
      functions.push({ fqfn: m.runnable.fqfn, key: info.key, caps: info.claims.caps });
      host.setStaticFiles(info.key, statics);
      for (const capabilityId of BUNDLE_CAPABILITIES) {
        if (!info.claims.caps.includes(capabilityId)) continue;
        if (await ensureProvider(host, capabilityId)) addedProviders.push(capabilityId);
        await host.bind(info.key, capabilityId, "default", bindingValues(capabilityId, bundle.directive.identifier, options));
      }
      logger.debug({ fqfn: m.runnable.fqfn, actor: info.key, caps: info.claims.caps }, "bundle function started");
    }
  } catch (err) {
    await stopFunctions(host, functions, addedProviders, logger);
    throw err;
  }
  return { functions, addedProviders };
}

/** Stops the functions (their bindings go with them), then the providers this bundle added. */
export async function stopFunctions(host: Host, functions: readonly StartedFunction[], addedProviders: readonly string[], logger: Logger): Promise<void> {
  for (const f of functions) {
    await host.stopActor(f.key).catch((err: unknown) => logger.warn({ fqfn: f.fqfn, err }, "bundle function failed to stop"));
  }
  for (const capabilityId of addedProviders) {
    await host.removeProvider(capabilityId).catch((err: unknown) => logger.warn({ capabilityId, err }, "provider failed to stop"));
  }
}
