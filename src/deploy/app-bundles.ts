/**
 * An application manifest's bundle, made deployable: the seal and every function's claims
 * checked here (nothing is stored for a bundle that does not load), the archive uploaded to
 * the lattice's object store under its SHA-256, and the desired state it stands for — one
 * actor per function, placed on the `workers` hosts and started from the sealed archive
 * there, and the routes on the `edge` hosts — and, for each capability a function's claims
 * name among the bundle capabilities, the link a local bundle would bind (the shared cache
 * `SHARED=<identifier>` or Redis, logging, outbound HTTP to the allowed hosts). Those links
 * reach whichever host runs the provider, so one keyvalue provider gives every function on
 * every worker one cache, as Atmo's is.
 */
import { readFile } from "node:fs/promises";
import { loadBundle } from "../bundle/load.js";
import { BUNDLE_CAPABILITIES, bindingValues } from "../bundle/run/capability-bindings.js";
import type { ActorClaims } from "../claims/types.js";
import { WactorError } from "../errors.js";
import { moduleDigest, type ArtifactStore } from "../lattice/state/artifact-store.js";
import type { AppBundleSpec } from "./app-manifest.js";
import type { DesiredActor, DesiredBundle, DesiredLink } from "./app-types.js";

export interface UploadedBundle {
  desired: DesiredBundle;
  actors: DesiredActor[];
  /** The functions' links to the bundle capabilities they claim. */
  links: DesiredLink[];
  /** Each function's module digest and verified claims (links may name them). */
  functions: Array<{ digest: string; claims: ActorClaims }>;
}

export async function uploadBundle(store: ArtifactStore, spec: AppBundleSpec): Promise<UploadedBundle> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(spec.source);
  } catch (err) {
    throw new WactorError("WACTOR_ERR_FILE_READ", `${spec.source}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const bundle = await loadBundle(bytes, spec.source);
  const functions = bundle.modules.map((m) => ({ digest: moduleDigest(m.bytes), claims: bundle.claims.get(m.runnable.fqfn)! }));
  const digest = moduleDigest(bytes);
  await store.put(digest, bytes);
  const actors = functions.map((f) => ({
    key: f.claims.subject,
    name: f.claims.name,
    digest: f.digest,
    replicas: spec.replicas,
    instances: spec.instances,
    spread: [{ labels: spec.workers, weight: 1 }],
    bundle: digest,
  }));
  const { identifier, appVersion, handlers, schedules } = bundle.directive;
  const desired: DesiredBundle = {
    identifier,
    appVersion,
    digest,
    edge: spec.edge,
    port: spec.port,
    ...(spec.listen !== undefined && { listen: spec.listen }),
    ...(spec.messaging !== undefined && { messaging: spec.messaging }),
    routes: handlers.map((h) =>
      h.type === "request" ? `${h.method} ${h.resource.startsWith("/") ? h.resource : `/${h.resource}`}` : `${h.type} ${h.resource}`,
    ),
    schedules: schedules.map((s) => s.name),
  };
  const links = functions.flatMap((f) =>
    BUNDLE_CAPABILITIES.filter((c) => f.claims.caps.includes(c)).map((capabilityId) => ({
      actorKey: f.claims.subject,
      capabilityId,
      binding: "default",
      values: bindingValues(capabilityId, identifier, spec.capabilities),
    })),
  );
  return { desired, actors, links, functions };
}
