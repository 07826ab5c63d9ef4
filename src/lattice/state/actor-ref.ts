/**
 * The one reading of an actor reference, for the control client and every host's control
 * server alike: a module hash / digest (64 hex), or a module key or claims name the lattice
 * has claims for (a module key wins over a name that happens to look like one).
 */
import type { ActorClaims } from "../../claims/types.js";
import { WactorError } from "../../errors.js";
import type { ClaimsStore } from "./claims-store.js";

const DIGEST = /^[0-9A-Fa-f]{64}$/;
const MODULE_KEY = /^M[A-Z2-7]{55}$/;

/** The claims the lattice knows for a module key or claims name. */
export async function findClaims(store: ClaimsStore, ref: string): Promise<ActorClaims | undefined> {
  // A module key is one read; only a name needs the listing (a JetStream consumer, slower to get after a server died).
  const byKey = MODULE_KEY.test(ref) ? await store.get(ref) : undefined;
  if (byKey) return byKey;
  const all = await store.list();
  return all.find((c) => c.subject === ref) ?? all.find((c) => c.name === ref);
}

/** The object-store name of a ref: the hash itself, or the claims hash of a known key or name. */
export async function objectNameOf(store: ClaimsStore, ref: string): Promise<string> {
  if (DIGEST.test(ref)) return ref.toUpperCase();
  const claims = await findClaims(store, ref);
  if (!claims) throw new WactorError("WACTOR_ERR_ARTIFACT_NOT_FOUND", `no actor '${ref}' is known to the lattice; start or deploy it from a .wasm path once`);
  return claims.hash;
}
