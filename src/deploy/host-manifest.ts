/**
 * The host manifest (`wactor up`): the waSCC form of docs/wascc-protocol.md §6, extended with labels,
 * trusted issuers and per-actor limits. Validated with zod; every error is located.
 */
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { z } from "zod";
import { WactorError } from "../errors.js";
import { isOciReference } from "../oci/reference.js";
import { parseValidated, readManifestText } from "./located-validation.js";
import { MAX_INSTANCES } from "../host/instance-count.js";

const nonEmpty = z.string().min(1, "must not be empty");
const stringMap = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String));

const actorEntry = z.union([
  nonEmpty,
  z.strictObject({
    path: nonEmpty,
    instances: z.number().int().min(1).max(MAX_INSTANCES).optional(),
    deadline_ms: z.number().int().min(1).max(3_600_000).optional(),
    max_memory_mb: z.number().int().min(1).max(4096).optional(),
    /** "metered" (default), "executor" (metered, on an executor thread) or "thread": a worker thread per instance (docs/runtime.md). */
    isolation: z.enum(["metered", "executor", "thread"]).optional(),
    max_queue: z.number().int().min(0).max(1_000_000).optional(),
    /** The actor's static files (a runnable's get_static_file), relative to the manifest. */
    static_dir: nonEmpty.optional(),
  }),
]);

const capabilityEntry = z
  .strictObject({
    id: nonEmpty.optional(),
    path: nonEmpty.optional(),
    binding: nonEmpty.optional(),
    /** waSCC's spelling of `binding`. */
    binding_name: nonEmpty.optional(),
  })
  .refine((c) => c.id !== undefined || c.path !== undefined, "a capability needs an 'id' or a 'path'");

const bindingEntry = z.strictObject({
  actor: nonEmpty,
  capability: nonEmpty,
  binding: nonEmpty.optional(),
  values: stringMap.nullish(),
});

/** A signed bundle this host serves (docs/directive.md, "Running a bundle"). */
const bundleEntry = z.strictObject({
  /** A file, or an OCI reference when no such file exists (as for actors). */
  path: nonEmpty,
  /** Port of its routes; 0 picks a free one. */
  port: z.number().int().min(0).max(65535).optional(),
  listen: nonEmpty.optional(),
  /** Its cache in Redis instead of the embedded store shared by its functions. */
  cache_url: z
    .string()
    .regex(/^rediss?:\/\//, "expected a redis:// or rediss:// URL")
    .optional(),
  cache_key_prefix: z.string().optional(),
  /** wascc:messaging binding values (URL, credentials) for its `type: stream` handlers. */
  messaging: stringMap.nullish(),
  /** Hosts its functions may reach through wascc:http_client. */
  allowed_hosts: z.array(nonEmpty).nullish(),
  headless: z.boolean().optional(),
  step_timeout_ms: z.number().int().min(1).max(3_600_000).optional(),
  foreach_concurrency: z.number().int().min(1).max(1024).optional(),
  instances: z.number().int().min(1).max(MAX_INSTANCES).optional(),
  run_schedules: z.boolean().optional(),
});

export const hostManifestSchema = z.strictObject({
  labels: stringMap.nullish(),
  trusted_issuers: z.array(z.string().regex(/^A[A-Z2-7]{55}$/, "expected an account public key (A… , 56 characters)")).nullish(),
  /** Operator keys whose signed control commands, links and applications a lattice host acts on (adds to --trusted-operator). */
  trusted_operators: z.array(z.string().regex(/^O[A-Z2-7]{55}$/, "expected an operator public key (O… , 56 characters)")).nullish(),
  actors: z.array(actorEntry).nullish(),
  capabilities: z.array(capabilityEntry).nullish(),
  bindings: z.array(bindingEntry).nullish(),
  bundles: z.array(bundleEntry).nullish(),
});

export interface ManifestActor {
  /** A module file, absolute; or else `ref`. */
  path?: string;
  /** An OCI reference (waSCC 0.14), pulled when the host starts. */
  ref?: string;
  instances?: number;
  deadlineMs?: number;
  maxMemoryBytes?: number;
  isolation?: "metered" | "executor" | "thread";
  maxQueue?: number;
  /** Absolute. */
  staticDir?: string;
}

export interface ManifestCapability {
  /** Capability id, when known (a waSCC native library is mapped to the built-in provider). */
  id?: string;
  /** A provider module of the user's own (.js/.mjs), absolute. */
  modulePath?: string;
  /** A waSCC native library named in the manifest; wactor serves its capability itself. */
  nativeLibrary?: string;
  /**
   * The entry's `binding` (waSCC: `binding_name`), default `default`. Informational only: in
   * waSCC it named one loaded instance of a provider, but here one provider per capability id
   * serves every binding name, each with its own values; `bindings[].binding` picks the name.
   */
  binding: string;
}

export interface ManifestBinding {
  actor: string;
  capability: string;
  binding: string;
  values: Record<string, string>;
}

export interface ManifestBundle {
  /** The signed `.wasm.zip`, absolute; or `ref`, an OCI reference (`wactor reg push`). */
  path?: string;
  ref?: string;
  port: number;
  listen: string;
  cacheUrl?: string;
  cacheKeyPrefix?: string;
  messaging?: Record<string, string>;
  allowedHosts: string[];
  headless?: boolean;
  stepTimeoutMs?: number;
  forEachConcurrency?: number;
  instances?: number;
  runSchedules: boolean;
}

export interface HostManifest {
  file: string;
  labels: Record<string, string>;
  trustedIssuers: string[];
  trustedOperators: string[];
  actors: ManifestActor[];
  capabilities: ManifestCapability[];
  bindings: ManifestBinding[];
  bundles: ManifestBundle[];
}

/** waSCC provider library names -> capability ids (docs/wascc-protocol.md §6; issue text). */
const NATIVE_LIBRARY_CAPABILITIES: Array<[RegExp, string]> = [
  [/httpsrv|http_server|httpserver/i, "wascc:http_server"],
  // Before Redis: waSCC's Redis Streams provider is `libredis_streams` / `wascc-streams-redis`.
  [/streams/i, "wascc:eventstreams"],
  [/httpclient|http_client/i, "wascc:http_client"],
  [/redis|keyvalue/i, "wascc:keyvalue"],
  [/nats|messaging/i, "wascc:messaging"],
  [/logging/i, "wascc:logging"],
  [/extras/i, "wascc:extras"],
  [/blobstore|fs[-_]provider|wascc[-_]fs\b|[-_]s3[-_.]/i, "wascc:blobstore"],
];

export function capabilityOfNativeLibrary(path: string): string | undefined {
  return NATIVE_LIBRARY_CAPABILITIES.find(([pattern]) => pattern.test(path))?.[1];
}

/** Parses and validates manifest text; throws WACTOR_ERR_MANIFEST naming file, line and field. */
export function parseHostManifest(text: string, file: string): HostManifest {
  const { yaml, data: m } = parseValidated(hostManifestSchema, text, file);
  // Two entries for one (actor, capability, binding) would silently replace each other.
  const seen = new Set<string>();
  (m.bindings ?? []).forEach((b, i) => {
    const key = `${b.actor}\u0000${b.capability}\u0000${b.binding ?? "default"}`;
    if (seen.has(key)) {
      throw new WactorError(
        "WACTOR_ERR_MANIFEST",
        `${file}:${yaml.lineOf(["bindings", i])}: bindings[${i}]: duplicate binding of ${b.actor} to ${b.capability} '${b.binding ?? "default"}'; give it another 'binding' name`,
      );
    }
    seen.add(key);
  });
  const base = dirname(resolve(file));
  const capabilities: ManifestCapability[] = (m.capabilities ?? []).map((c) => {
    const binding = c.binding ?? c.binding_name ?? "default";
    if (c.path && /\.(m?js|cjs)$/.test(c.path)) return { ...(c.id !== undefined && { id: c.id }), modulePath: resolve(base, c.path), binding };
    const id = c.id ?? (c.path ? capabilityOfNativeLibrary(c.path) : undefined);
    return { ...(id !== undefined && { id }), ...(c.path !== undefined && { nativeLibrary: c.path }), binding };
  });
  return {
    file,
    labels: m.labels ?? {},
    trustedIssuers: m.trusted_issuers ?? [],
    trustedOperators: m.trusted_operators ?? [],
    actors: (m.actors ?? []).map((a) =>
      typeof a === "string"
        ? actorSource(base, a)
        : {
            ...actorSource(base, a.path),
            ...(a.instances !== undefined && { instances: a.instances }),
            ...(a.deadline_ms !== undefined && { deadlineMs: a.deadline_ms }),
            ...(a.max_memory_mb !== undefined && { maxMemoryBytes: a.max_memory_mb * 1024 * 1024 }),
            ...(a.isolation !== undefined && { isolation: a.isolation }),
            ...(a.max_queue !== undefined && { maxQueue: a.max_queue }),
            ...(a.static_dir !== undefined && { staticDir: resolve(base, a.static_dir) }),
          },
    ),
    capabilities,
    bindings: (m.bindings ?? []).map((b) => ({ actor: b.actor, capability: b.capability, binding: b.binding ?? "default", values: b.values ?? {} })),
    bundles: (m.bundles ?? []).map((b) => ({
      ...actorSource(base, b.path),
      port: b.port ?? 8080,
      listen: b.listen ?? "127.0.0.1",
      ...(b.cache_url !== undefined && { cacheUrl: b.cache_url }),
      ...(b.cache_key_prefix !== undefined && { cacheKeyPrefix: b.cache_key_prefix }),
      ...(b.messaging && { messaging: b.messaging }),
      allowedHosts: b.allowed_hosts ?? [],
      ...(b.headless !== undefined && { headless: b.headless }),
      ...(b.step_timeout_ms !== undefined && { stepTimeoutMs: b.step_timeout_ms }),
      ...(b.foreach_concurrency !== undefined && { forEachConcurrency: b.foreach_concurrency }),
      ...(b.instances !== undefined && { instances: b.instances }),
      runSchedules: b.run_schedules ?? true,
    })),
  };
}

/** A file that exists wins; otherwise text that parses as an OCI reference is one (as in waSCC). */
function actorSource(base: string, text: string): { path: string } | { ref: string } {
  const path = resolve(base, text);
  return !existsSync(path) && isOciReference(text) ? { ref: text } : { path };
}

export async function loadHostManifest(file: string): Promise<HostManifest> {
  return parseHostManifest(await readManifestText(file), file);
}
