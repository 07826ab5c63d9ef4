/**
 * Admission check for an actor module (docs/wascc-protocol.md §3): structure, claims, signature by
 * the issuer, hash, validity dates, issuer trust. Returns a verdict; never throws for bad input.
 */
import { WactorError, toWactorError } from "../errors.js";
import { moduleHash } from "./hash.js";
import { decodeToken, verifyTokenSignature } from "./token.js";
import type { ActorClaims } from "./types.js";
import { jwtSectionContents, listSections } from "./wasm-sections.js";

export const DEFAULT_MAX_MODULE_BYTES = 64 * 1024 * 1024;

export interface VerifyOptions {
  /** Account keys this host trusts; empty or absent = trust any valid signature. */
  trustedIssuers?: readonly string[];
  /** Refuse modules above this size (default 64 MiB). */
  maxModuleBytes?: number;
  /** Clock in milliseconds, for tests. */
  now?: () => number;
  /** Accept modules whose claims say `prov: true`. Actors only by default. */
  allowProviders?: boolean;
}

export type Verdict =
  | { valid: true; claims: ActorClaims; hash: string; token: string }
  /** `claims` is present when the token could be decoded, so tools can still show it. */
  | { valid: false; error: WactorError; claims?: ActorClaims; hash?: string; token?: string };

export async function verifyModule(bytes: Uint8Array, options: VerifyOptions = {}): Promise<Verdict> {
  const partial: { claims?: ActorClaims; hash?: string; token?: string } = {};
  try {
    const max = options.maxModuleBytes ?? DEFAULT_MAX_MODULE_BYTES;
    if (bytes.length > max) throw new WactorError("WACTOR_ERR_MODULE_TOO_LARGE", `${bytes.length} bytes, limit ${max}`);
    const sections = listSections(bytes);
    const tokens = jwtSectionContents(bytes, sections);
    if (tokens.length === 0) throw new WactorError("WACTOR_ERR_NO_CLAIMS");
    if (tokens.length > 1) throw new WactorError("WACTOR_ERR_MALFORMED_TOKEN", `${tokens.length} 'jwt' sections; a signed module has exactly one`);
    let token: string;
    try {
      token = new TextDecoder("utf-8", { fatal: true }).decode(tokens[0]!);
    } catch {
      throw new WactorError("WACTOR_ERR_MALFORMED_TOKEN", "the 'jwt' section is not UTF-8 text");
    }
    partial.token = token;
    partial.hash = moduleHash(bytes, sections);
    const { claims } = decodeToken(token);
    partial.claims = claims;
    await verifyTokenSignature(token, claims.issuer);
    if (claims.hash.toUpperCase() !== partial.hash) {
      throw new WactorError("WACTOR_ERR_HASH_MISMATCH", `claims say ${claims.hash}, module is ${partial.hash}`);
    }
    const nowSeconds = Math.floor((options.now?.() ?? Date.now()) / 1000);
    if (claims.exp !== undefined && nowSeconds >= claims.exp) {
      throw new WactorError("WACTOR_ERR_TOKEN_EXPIRED", `expired at ${new Date(claims.exp * 1000).toISOString()}`);
    }
    if (claims.nbf !== undefined && nowSeconds < claims.nbf) {
      throw new WactorError("WACTOR_ERR_TOKEN_NOT_YET_VALID", `valid from ${new Date(claims.nbf * 1000).toISOString()}`);
    }
    const trusted = options.trustedIssuers ?? [];
    if (trusted.length > 0 && !trusted.includes(claims.issuer)) {
      throw new WactorError("WACTOR_ERR_UNTRUSTED_ISSUER", `issuer ${claims.issuer}`);
    }
    if (claims.provider && !options.allowProviders) throw new WactorError("WACTOR_ERR_NOT_AN_ACTOR");
    return { valid: true, claims, hash: partial.hash, token };
  } catch (err) {
    // Anything unexpected is still a verdict, never a crash, but it says it is a bug
    // (WACTOR_ERR_INTERNAL with the cause): every bad input has its own code above.
    const error = toWactorError(err);
    return { valid: false, error, ...partial };
  }
}

/** Like verifyModule, but throws the WactorError; for callers that admit actors. */
export async function assertValidModule(bytes: Uint8Array, options: VerifyOptions = {}): Promise<Extract<Verdict, { valid: true }>> {
  const verdict = await verifyModule(bytes, options);
  if (!verdict.valid) throw verdict.error;
  return verdict;
}
