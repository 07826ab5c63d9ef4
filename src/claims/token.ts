/**
 * The wascap JWT: header `{"typ":"jwt","alg":"Ed25519"}`, signed by the issuer (docs/wascc-protocol.md §3).
 * Signing and signature checks go through `jose`; decoding validates the payload's shape.
 */
import { SignJWT, compactVerify, errors as joseErrors } from "jose";
import { WactorError } from "../errors.js";
import { decodePublicKey, publicKeyObject, type KeyPair } from "./nkeys.js";
import type { ActorClaims } from "./types.js";

export const TOKEN_ALG = "Ed25519";

interface WascapWire {
  name?: string;
  hash: string;
  tags?: string[];
  caps?: string[];
  rev?: number;
  ver?: string;
  prov?: boolean;
  call_alias?: string;
}

function claimsToWire(claims: ActorClaims): Record<string, unknown> {
  const wascap: WascapWire = { hash: claims.hash, tags: claims.tags, caps: claims.caps, prov: claims.provider };
  if (claims.name !== undefined) wascap.name = claims.name;
  if (claims.rev !== undefined) wascap.rev = claims.rev;
  if (claims.ver !== undefined) wascap.ver = claims.ver;
  if (claims.callAlias !== undefined) wascap.call_alias = claims.callAlias;
  const wire: Record<string, unknown> = { jti: claims.jti, iat: claims.iat, iss: claims.issuer, sub: claims.subject, wascap };
  if (claims.exp !== undefined) wire.exp = claims.exp;
  if (claims.nbf !== undefined) wire.nbf = claims.nbf;
  return wire;
}

const isString = (v: unknown): v is string => typeof v === "string";
const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every(isString);
const isInt = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v);

function malformed(detail: string): WactorError {
  return new WactorError("WACTOR_ERR_MALFORMED_TOKEN", detail);
}

/** Validates a decoded payload. Early waSCC tokens kept hash/tags/caps at the top level. */
function claimsFromWire(raw: unknown): ActorClaims {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw malformed("payload is not a JSON object");
  const p = raw as Record<string, unknown>;
  const w = (p.wascap ?? p) as Record<string, unknown>;
  if (typeof w !== "object" || w === null) throw malformed("'wascap' is not an object");
  if (!isString(p.iss) || !isString(p.sub)) throw malformed("'iss' and 'sub' must be strings");
  if (!isString(w.hash)) throw malformed("'wascap.hash' is missing");
  const optional: Array<[string, unknown, (v: unknown) => boolean]> = [
    ["jti", p.jti, isString],
    ["iat", p.iat, isInt],
    ["exp", p.exp, isInt],
    ["nbf", p.nbf, isInt],
    ["name", w.name, isString],
    ["tags", w.tags, isStringArray],
    ["caps", w.caps, isStringArray],
    ["rev", w.rev, isInt],
    ["ver", w.ver, isString],
    ["prov", w.prov, (v) => typeof v === "boolean"],
    ["call_alias", w.call_alias, isString],
  ];
  for (const [field, value, ok] of optional) {
    if (value !== undefined && value !== null && !ok(value)) throw malformed(`'${field}' has the wrong type`);
  }
  const iss = decodeKeyOrThrow(p.iss, "account", "iss");
  const sub = decodeKeyOrThrow(p.sub, "module", "sub");
  const claims: ActorClaims = {
    jti: (p.jti as string | undefined) ?? "",
    iat: (p.iat as number | undefined) ?? 0,
    issuer: iss,
    subject: sub,
    hash: w.hash,
    tags: (w.tags as string[] | undefined) ?? [],
    caps: (w.caps as string[] | undefined) ?? [],
    provider: (w.prov as boolean | undefined) ?? false,
  };
  if (isInt(p.exp)) claims.exp = p.exp;
  if (isInt(p.nbf)) claims.nbf = p.nbf;
  if (isString(w.name)) claims.name = w.name;
  if (isInt(w.rev)) claims.rev = w.rev;
  if (isString(w.ver)) claims.ver = w.ver;
  if (isString(w.call_alias)) claims.callAlias = w.call_alias;
  return claims;
}

function decodeKeyOrThrow(key: string, type: "account" | "module", field: string): string {
  let decoded: ReturnType<typeof decodePublicKey>;
  try {
    decoded = decodePublicKey(key);
  } catch {
    throw malformed(`'${field}' is not a valid nkey public key`);
  }
  if (decoded.type !== type) throw malformed(`'${field}' must be ${type === "account" ? "an account (A…)" : "a module (M…)"} key`);
  return key;
}

/** Signs claims with the issuer's key pair into a compact JWT. */
export async function encodeToken(claims: ActorClaims, issuer: KeyPair): Promise<string> {
  if (issuer.publicKey !== claims.issuer) throw new WactorError("WACTOR_ERR_KEY_TYPE", "the signing key is not the claims' issuer");
  return new SignJWT(claimsToWire(claims)).setProtectedHeader({ typ: "jwt", alg: TOKEN_ALG }).sign(issuer.privateKey);
}

function assertEd25519(headerPart: string): void {
  let alg: unknown;
  try {
    alg = (JSON.parse(Buffer.from(headerPart, "base64url").toString("utf8")) as { alg?: unknown }).alg;
  } catch {
    throw malformed("the header is not base64url JSON");
  }
  if (alg !== TOKEN_ALG) throw new WactorError("WACTOR_ERR_UNSUPPORTED_ALG", `alg is ${JSON.stringify(alg ?? null)}`);
}

/** Decodes the token's header and payload without checking the signature. */
export function decodeToken(token: string): { alg: string; claims: ActorClaims } {
  const parts = token.split(".");
  if (parts.length !== 3 || !/^[A-Za-z0-9_-]+$/.test(parts[0]!)) throw malformed("not a compact JWT");
  // The algorithm first: an alg 'none' token (empty signature) is reported as what it is.
  assertEd25519(parts[0]!);
  if (parts.some((p) => !/^[A-Za-z0-9_-]+$/.test(p))) throw malformed("not a compact JWT");
  // Canonical base64url only: spare bits in the last character would make one token
  // readable in several spellings.
  if (parts.some((p) => Buffer.from(p, "base64url").toString("base64url") !== p)) throw malformed("non-canonical base64url");
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(parts[1]!, "base64url").toString("utf8"));
  } catch {
    throw malformed("the payload is not base64url JSON");
  }
  return { alg: TOKEN_ALG, claims: claimsFromWire(payload) };
}

/** Checks the signature against the issuer named in the token (through jose). */
export async function verifyTokenSignature(token: string, issuer: string): Promise<void> {
  const key = publicKeyObject(issuer);
  try {
    await compactVerify(token, key, { algorithms: [TOKEN_ALG] });
  } catch (err) {
    if (err instanceof joseErrors.JWSSignatureVerificationFailed) {
      throw new WactorError("WACTOR_ERR_BAD_SIGNATURE", `not signed by ${issuer}`);
    }
    throw new WactorError("WACTOR_ERR_MALFORMED_TOKEN", err instanceof Error ? err.message : String(err));
  }
}
