/**
 * Modules in the lattice's object store: uploaded after their claims verify here, or resolved
 * from what the lattice knows (digest, module key, claims name) or from an OCI registry.
 */
import { assertValidModule } from "../../claims/verify.js";
import { readModule } from "../../host/read-module.js";
import { isOciReference } from "../../oci/reference.js";
import { pullActorFromEnv } from "../../oci/registry.js";
import { objectNameOf } from "../state/actor-ref.js";
import { moduleDigest, type ArtifactStore } from "../state/artifact-store.js";
import type { ClaimsStore } from "../state/claims-store.js";
import type { ActorClaims } from "../wire/control-types.js";

export interface StoredModule {
  /** The object-store name of this exact signing. */
  digest: string;
  claims: ActorClaims;
}

export class ArtifactsClient {
  constructor(
    readonly store: ArtifactStore,
    readonly claims: ClaimsStore,
  ) {}

  /** Uploads a signed module after verifying its claims here. */
  async upload(path: string): Promise<StoredModule> {
    return this.#put(await readModule(path));
  }

  /** Uploads a module file under its claims' hash (what `start_actor` refs name); returns the ref and the module key. */
  async uploadForStart(path: string): Promise<{ ref: string; key: string }> {
    const bytes = await readModule(path);
    const { claims } = await assertValidModule(bytes);
    return { ref: await this.store.put(claims.hash, bytes), key: claims.subject };
  }

  /**
   * A module the lattice knows, or one in an OCI registry (pulled here and pinned: an
   * application's version names the bytes of its deploy), verified again here.
   */
  async resolve(ref: string): Promise<StoredModule> {
    if (isOciReference(ref)) return this.#put((await pullActorFromEnv(ref)).bytes);
    return this.#put(await this.store.get(await objectNameOf(this.claims, ref)));
  }

  async #put(bytes: Uint8Array): Promise<StoredModule> {
    const { claims } = await assertValidModule(bytes);
    const digest = moduleDigest(bytes);
    await this.store.put(digest, bytes);
    return { digest, claims };
  }
}
