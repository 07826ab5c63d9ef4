/**
 * The application manifest (`wactor app deploy`): what should run across a lattice.
 *
 *   name: shop
 *   version: 1.2.0
 *   actors:
 *     - source: ./build/kvcounter_s.wasm       # or ref: <digest | module key | claims name | OCI reference>
 *       replicas: 2                            # hosts running it
 *       instances: 2                           # per replica
 *       spread: [ { labels: { zone: a }, weight: 1 }, { labels: { zone: b }, weight: 1 } ]
 *   providers:
 *     - { capability: wascc:http_server, on: { role: edge } }
 *   links:
 *     - { actor: kvcounter, capability: wascc:http_server, values: { PORT: "8080" } }
 *   bundles:                                   # signed .wasm.zip: functions on workers, routes on edge hosts
 *     - { source: ./greeter.wasm.zip, workers: { role: worker }, edge: { role: edge }, port: 8080, replicas: 2 }
 */
import { dirname, resolve } from "node:path";
import { z } from "zod";
import { WactorError } from "../errors.js";
import { parseValidated, readManifestText } from "./located-validation.js";
import { MAX_INSTANCES } from "../host/instance-count.js";

const nonEmpty = z.string().min(1, "must not be empty");
const labels = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String));

const actorEntry = z
  .strictObject({
    source: nonEmpty.optional(),
    ref: nonEmpty.optional(),
    replicas: z.number().int().min(0).max(1000).default(1),
    instances: z.number().int().min(1).max(MAX_INSTANCES).default(1),
    spread: z
      .array(z.strictObject({ labels, weight: z.number().int().min(1).max(1000).default(1) }))
      .min(1)
      .optional(),
  })
  .refine((a) => (a.source === undefined) !== (a.ref === undefined), "an actor needs exactly one of 'source' (a .wasm path) or 'ref'");

const bundleEntry = z.strictObject({
  source: nonEmpty,
  /** Hosts running each function, and instances per host. */
  replicas: z.number().int().min(0).max(1000).default(1),
  instances: z.number().int().min(1).max(MAX_INSTANCES).default(1),
  /** Labels of the hosts its functions run on, and of those serving its routes. */
  workers: labels.default({}),
  edge: labels.default({}),
  port: z.number().int().min(0).max(65535),
  listen: nonEmpty.optional(),
  /** The functions' cache in Redis instead of the keyvalue provider's embedded store (SHARED=<identifier>). */
  cache_url: nonEmpty.optional(),
  cache_key_prefix: z.string().optional(),
  /** Hosts the functions may reach through wascc:http_client (none by default). */
  allowed_hosts: z.array(nonEmpty).default([]),
  /** wascc:messaging values (URL, …) for its `type: stream` handlers, served by the edge hosts. */
  messaging: labels.optional(),
});

export const appManifestSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "letters, digits, '-' and '_' only (1-64)"),
  version: z.union([nonEmpty, z.number()]).transform(String),
  description: z.string().optional(),
  actors: z.array(actorEntry).min(1, "an application needs at least one actor").optional(),
  providers: z.array(z.strictObject({ capability: nonEmpty, on: labels.default({}) })).default([]),
  links: z.array(z.strictObject({ actor: nonEmpty, capability: nonEmpty, binding: nonEmpty.default("default"), values: labels.default({}) })).default([]),
  bundles: z.array(bundleEntry).min(1, "leave 'bundles' out, or give it at least one bundle").optional(),
});

export interface AppBundleSpec {
  /** Absolute path of a signed .wasm.zip (resolved against the manifest). */
  source: string;
  replicas: number;
  instances: number;
  workers: Record<string, string>;
  edge: Record<string, string>;
  port: number;
  listen: string | undefined;
  messaging?: Record<string, string>;
  /** The links made for the capabilities the functions claim (src/bundle/run/capability-bindings.ts). */
  capabilities: { cacheUrl?: string; cacheKeyPrefix?: string; allowedHosts: string[] };
}

export interface AppActorSpec {
  /** Absolute path of a signed .wasm (resolved against the manifest), or a lattice ref. */
  source?: string;
  ref?: string;
  replicas: number;
  instances: number;
  spread: Array<{ labels: Record<string, string>; weight: number }>;
}

export interface AppManifest {
  file: string;
  name: string;
  version: string;
  actors: AppActorSpec[];
  providers: Array<{ capability: string; on: Record<string, string> }>;
  links: Array<{ actor: string; capability: string; binding: string; values: Record<string, string> }>;
  bundles: AppBundleSpec[];
}

export function parseAppManifest(text: string, file: string): AppManifest {
  const { yaml, data } = parseValidated(appManifestSchema, text, file);
  const seen = new Set<string>();
  data.links.forEach((l, i) => {
    const key = `${l.actor}\u0000${l.capability}\u0000${l.binding}`;
    if (seen.has(key))
      throw new WactorError(
        "WACTOR_ERR_MANIFEST",
        `${file}:${yaml.lineOf(["links", i])}: links[${i}]: duplicate link of ${l.actor} to ${l.capability} '${l.binding}'`,
      );
    seen.add(key);
  });
  if (data.actors === undefined && data.bundles === undefined)
    throw new WactorError("WACTOR_ERR_MANIFEST", `${file}:1: an application needs at least one actor (actors:) or bundle (bundles:)`);
  const base = dirname(resolve(file));
  return {
    file,
    name: data.name,
    version: data.version,
    actors: (data.actors ?? []).map((a) => ({
      ...(a.source !== undefined && { source: resolve(base, a.source) }),
      ...(a.ref !== undefined && { ref: a.ref }),
      replicas: a.replicas,
      instances: a.instances,
      spread: a.spread ?? [{ labels: {}, weight: 1 }],
    })),
    providers: data.providers,
    links: data.links,
    bundles: (data.bundles ?? []).map((b) => ({
      source: resolve(base, b.source),
      replicas: b.replicas,
      instances: b.instances,
      workers: b.workers,
      edge: b.edge,
      port: b.port,
      listen: b.listen,
      ...(b.messaging !== undefined && { messaging: b.messaging }),
      capabilities: {
        ...(b.cache_url !== undefined && { cacheUrl: b.cache_url }),
        ...(b.cache_key_prefix !== undefined && { cacheKeyPrefix: b.cache_key_prefix }),
        allowedHosts: b.allowed_hosts,
      },
    })),
  };
}

export async function loadAppManifest(file: string): Promise<AppManifest> {
  return parseAppManifest(await readManifestText(file), file);
}
