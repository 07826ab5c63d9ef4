/**
 * The bundle descriptor `wactor-bundle.jwt`: a JWS (Ed25519, the wascap header) by the account
 * that signed the modules, over the SHA-256 of every other entry of the archive (Directive,
 * modules, static files, anything else). A loader that checks it refuses a bundle in which
 * anything was changed, added or removed after signing.
 */
import { createHash, randomBytes } from "node:crypto";
import { SignJWT, compactVerify, decodeJwt } from "jose";
import { WactorError, toWactorError } from "../errors.js";
import { isPublicKey, publicKeyObject, type KeyPair } from "../claims/nkeys.js";
import { TOKEN_ALG } from "../claims/token.js";
import { DESCRIPTOR_ENTRY } from "./read.js";

export interface BundleSeal {
  issuer: string;
  issuedAt: number;
  identifier: string;
  appVersion: string;
  /** Entry name → lower-case hex SHA-256 of its bytes. */
  entries: Record<string, string>;
}

export type SealVerdict = { sealed: true; seal: BundleSeal } | { sealed: false; error: WactorError };

const sha256 = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");

export function entryDigests(entries: Map<string, Uint8Array>): Record<string, string> {
  const digests: Record<string, string> = {};
  for (const name of [...entries.keys()].sort()) if (name !== DESCRIPTOR_ENTRY) digests[name] = sha256(entries.get(name)!);
  return digests;
}

export async function createDescriptor(
  entries: Map<string, Uint8Array>,
  issuer: KeyPair,
  app: { identifier: string; appVersion: string },
  now = Date.now(),
): Promise<string> {
  if (issuer.type !== "account" || !issuer.hasSeed) throw new WactorError("WACTOR_ERR_KEY_TYPE", "a bundle is sealed with an account seed (SA…)");
  const payload = {
    jti: randomBytes(16).toString("base64url"),
    iat: Math.floor(now / 1000),
    iss: issuer.publicKey,
    wactor_bundle: { identifier: app.identifier, appVersion: app.appVersion, entries: entryDigests(entries) },
  };
  return new SignJWT(payload).setProtectedHeader({ typ: "jwt", alg: TOKEN_ALG }).sign(issuer.privateKey);
}

const tampered = (detail: string): WactorError => new WactorError("WACTOR_ERR_BUNDLE_TAMPERED", detail);

async function checkSeal(entries: Map<string, Uint8Array>, trustedIssuers: readonly string[]): Promise<BundleSeal> {
  const descriptor = entries.get(DESCRIPTOR_ENTRY);
  if (!descriptor) throw new WactorError("WACTOR_ERR_BUNDLE_UNSIGNED", `no ${DESCRIPTOR_ENTRY} in the bundle`);
  const token = new TextDecoder().decode(descriptor).trim();
  let claims: { iss?: unknown; iat?: unknown; wactor_bundle?: { identifier?: unknown; appVersion?: unknown; entries?: unknown } };
  try {
    claims = decodeJwt(token);
  } catch {
    throw tampered(`${DESCRIPTOR_ENTRY} is not a JWT`);
  }
  const body = claims.wactor_bundle;
  if (typeof claims.iss !== "string" || !isPublicKey(claims.iss, "account") || typeof body?.entries !== "object" || body.entries === null) {
    throw tampered(`${DESCRIPTOR_ENTRY} lacks an account issuer or its entry digests`);
  }
  try {
    await compactVerify(token, publicKeyObject(claims.iss), { algorithms: [TOKEN_ALG] });
  } catch {
    throw tampered(`the signature of ${DESCRIPTOR_ENTRY} does not verify against ${claims.iss}`);
  }
  if (trustedIssuers.length > 0 && !trustedIssuers.includes(claims.iss))
    throw new WactorError("WACTOR_ERR_UNTRUSTED_ISSUER", `the bundle is sealed by ${claims.iss}`);
  const sealed = body.entries as Record<string, unknown>;
  const actual = entryDigests(entries);
  const changes: string[] = [];
  for (const [name, digest] of Object.entries(actual)) {
    if (!(name in sealed)) changes.push(`${name} was added`);
    else if (sealed[name] !== digest) changes.push(`${name} was changed`);
  }
  for (const name of Object.keys(sealed)) if (!(name in actual)) changes.push(`${name} was removed`);
  if (changes.length > 0) throw tampered(changes.join("; "));
  return {
    issuer: claims.iss,
    issuedAt: typeof claims.iat === "number" ? claims.iat : 0,
    identifier: String(body.identifier ?? ""),
    appVersion: String(body.appVersion ?? ""),
    entries: sealed as Record<string, string>,
  };
}

/** The seal's verdict; never throws for bad input. */
export async function verifySeal(entries: Map<string, Uint8Array>, trustedIssuers: readonly string[] = []): Promise<SealVerdict> {
  try {
    return { sealed: true, seal: await checkSeal(entries, trustedIssuers) };
  } catch (err) {
    return { sealed: false, error: toWactorError(err) };
  }
}
