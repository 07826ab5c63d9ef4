/**
 * Compact JWS with Ed25519 over node:crypto, for lattice invocation tokens only. Every
 * lattice call signs one token and verifies one; jose does the same through WebCrypto at
 * ~130 µs to sign and ~180 µs to verify on Node 20, node:crypto at ~35 / ~80 µs (measured,
 * docs/lattice.md). Tokens are standard JWTs: the tests check them against jose both ways.
 * Actor claims (signed once, verified at load) keep using jose.
 */
import { sign, verify, type KeyObject } from "node:crypto";

const HEADER = Buffer.from(JSON.stringify({ typ: "jwt", alg: "Ed25519" })).toString("base64url");
const BASE64URL = /^[A-Za-z0-9_-]*$/;

export function signCompact(payload: Record<string, unknown>, privateKey: KeyObject): string {
  const input = `${HEADER}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}`;
  return `${input}.${sign(null, Buffer.from(input), privateKey).toString("base64url")}`;
}

export type CompactResult = { ok: true; payload: Record<string, unknown> } | { ok: false; why: "malformed" | "bad-signature"; detail: string };

/** Reads the payload without checking the signature (to learn the issuer first). */
export function peekPayload(token: string): Record<string, unknown> | undefined {
  const parts = token.split(".");
  if (parts.length !== 3 || !parts.every((p) => BASE64URL.test(p))) return undefined;
  try {
    const header = JSON.parse(Buffer.from(parts[0]!, "base64url").toString("utf8")) as { alg?: unknown };
    if (header.alg !== "Ed25519") return undefined;
    const payload = JSON.parse(Buffer.from(parts[1]!, "base64url").toString("utf8")) as unknown;
    return typeof payload === "object" && payload !== null && !Array.isArray(payload) ? (payload as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Checks the signature of a token whose payload was already read with `peekPayload`. */
export function verifyCompact(token: string, payload: Record<string, unknown>, publicKey: KeyObject): CompactResult {
  const cut = token.lastIndexOf(".");
  const signature = Buffer.from(token.slice(cut + 1), "base64url");
  if (signature.length !== 64 || !verify(null, Buffer.from(token.slice(0, cut)), publicKey, signature)) {
    return { ok: false, why: "bad-signature", detail: "the signature does not verify" };
  }
  return { ok: true, payload };
}
