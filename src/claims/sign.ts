import { randomBytes } from "node:crypto";
import { WactorError } from "../errors.js";
import { moduleHash } from "./hash.js";
import { KeyPair } from "./nkeys.js";
import { encodeToken } from "./token.js";
import type { ActorClaims } from "./types.js";
import { appendCustomSection, JWT_SECTION, listSections, stripJwtSections } from "./wasm-sections.js";

export interface SignOptions {
  /** Account key pair (with seed) that signs. */
  issuer: KeyPair;
  /** Module key pair (the actor's identity); only its public key is used. */
  subject: KeyPair;
  caps?: string[];
  name?: string;
  ver?: string;
  rev?: number;
  tags?: string[];
  callAlias?: string;
  /** Seconds from now until the claims expire. */
  expiresInSeconds?: number;
  /** Seconds from now before the claims become valid. */
  notBeforeSeconds?: number;
  /** Clock, for tests. */
  now?: () => number;
}

export interface SignedModule {
  bytes: Uint8Array;
  claims: ActorClaims;
  token: string;
}

/** Signs a module: computes its hash, builds claims, replaces any existing `jwt` section. */
export async function signModule(bytes: Uint8Array, options: SignOptions): Promise<SignedModule> {
  if (options.issuer.type !== "account") throw new WactorError("WACTOR_ERR_KEY_TYPE", "the issuer must be an account key (SA… seed)");
  if (options.subject.type !== "module") throw new WactorError("WACTOR_ERR_KEY_TYPE", "the subject must be a module key (SM… seed or M… key)");
  const sections = listSections(bytes);
  const stripped = stripJwtSections(bytes, sections);
  const nowSeconds = Math.floor((options.now?.() ?? Date.now()) / 1000);
  const claims: ActorClaims = {
    jti: randomBytes(16).toString("base64url"),
    iat: nowSeconds,
    issuer: options.issuer.publicKey,
    subject: options.subject.publicKey,
    hash: moduleHash(bytes, sections),
    tags: options.tags ?? [],
    caps: options.caps ?? [],
    provider: false,
  };
  if (options.name !== undefined) claims.name = options.name;
  if (options.ver !== undefined) claims.ver = options.ver;
  if (options.rev !== undefined) claims.rev = options.rev;
  if (options.callAlias !== undefined) claims.callAlias = options.callAlias;
  if (options.expiresInSeconds !== undefined) claims.exp = nowSeconds + options.expiresInSeconds;
  if (options.notBeforeSeconds !== undefined) claims.nbf = nowSeconds + options.notBeforeSeconds;
  const token = await encodeToken(claims, options.issuer);
  return { bytes: appendCustomSection(stripped, JWT_SECTION, new TextEncoder().encode(token)), claims, token };
}
