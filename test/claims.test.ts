import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { SignJWT } from "jose";
import { createSecretKey } from "node:crypto";
import { KeyPair } from "../src/claims/nkeys.js";
import { signModule } from "../src/claims/sign.js";
import { decodeToken, verifyTokenSignature } from "../src/claims/token.js";
import { verifyModule, type Verdict } from "../src/claims/verify.js";
import { appendCustomSection, jwtSectionContents, stripJwtSections } from "../src/claims/wasm-sections.js";
import { moduleHash } from "../src/claims/hash.js";
import { answerConstantOffset, answerModule, customSection, WASM_HEADER } from "./helpers/wasm-fixtures.js";

const account = KeyPair.create("account");
const moduleKey = KeyPair.create("module");

async function signed(bytes = answerModule(), extra: Partial<Parameters<typeof signModule>[1]> = {}): Promise<Uint8Array> {
  return (await signModule(bytes, { issuer: account, subject: moduleKey, caps: ["wascc:http_server"], name: "answer", ...extra })).bytes;
}

function errorCode(verdict: Verdict): string | undefined {
  return verdict.valid ? undefined : verdict.error.code;
}

/** Replaces the module's `jwt` section with arbitrary content. */
function withToken(bytes: Uint8Array, token: string): Uint8Array {
  return appendCustomSection(stripJwtSections(bytes), "jwt", new TextEncoder().encode(token));
}

async function tokenWithHeader(header: Record<string, unknown>, payload: Record<string, unknown>): Promise<string> {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
  return `${b64(header)}.${b64(payload)}.${Buffer.from("not-a-signature").toString("base64url")}`;
}

describe("claims: sign and verify", () => {
  it("round-trips sign -> verify with every claim field", async () => {
    const bytes = await signed(answerModule(), { tags: ["a", "b"], ver: "1.2.3", rev: 7, expiresInSeconds: 3600 });
    const verdict = await verifyModule(bytes, { trustedIssuers: [account.publicKey] });
    expect(verdict.valid).toBe(true);
    if (!verdict.valid) return;
    expect(verdict.claims).toMatchObject({
      issuer: account.publicKey,
      subject: moduleKey.publicKey,
      name: "answer",
      caps: ["wascc:http_server"],
      tags: ["a", "b"],
      ver: "1.2.3",
      rev: 7,
      provider: false,
      hash: moduleHash(answerModule()),
    });
    expect(verdict.claims.exp! - verdict.claims.iat).toBe(3600);
    const header = JSON.parse(Buffer.from(verdict.token.split(".")[0]!, "base64url").toString());
    expect(header).toEqual({ typ: "jwt", alg: "Ed25519" });
  });

  it("keeps the signed module runnable and the hash independent of the jwt section", async () => {
    const bytes = await signed();
    const instance = await WebAssembly.instantiate(await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>));
    expect((instance.exports.answer as () => number)()).toBe(42);
    expect(moduleHash(bytes)).toBe(moduleHash(answerModule()));
  });

  it("re-signing replaces the old jwt section", async () => {
    const once = await signed();
    const twice = await signed(once, { caps: ["wascc:keyvalue"] });
    expect(jwtSectionContents(twice)).toHaveLength(1);
    const verdict = await verifyModule(twice);
    expect(verdict.valid && verdict.claims.caps).toEqual(["wascc:keyvalue"]);
  });

  it("detects a tampered code byte as a hash mismatch", async () => {
    const bytes = await signed();
    bytes[answerConstantOffset(bytes)] = 43;
    expect(errorCode(await verifyModule(bytes))).toBe("WACTOR_ERR_HASH_MISMATCH");
  });

  it("rejects expired and not-yet-valid claims", async () => {
    const expired = await signed(answerModule(), { expiresInSeconds: 60, now: () => Date.now() - 3_600_000 });
    expect(errorCode(await verifyModule(expired))).toBe("WACTOR_ERR_TOKEN_EXPIRED");
    const future = await signed(answerModule(), { notBeforeSeconds: 3600 });
    expect(errorCode(await verifyModule(future))).toBe("WACTOR_ERR_TOKEN_NOT_YET_VALID");
    // The same token becomes valid once its time has come.
    expect((await verifyModule(future, { now: () => Date.now() + 7_200_000 })).valid).toBe(true);
  });

  it("rejects an issuer the host does not trust", async () => {
    const verdict = await verifyModule(await signed(), { trustedIssuers: [KeyPair.create("account").publicKey] });
    expect(errorCode(verdict)).toBe("WACTOR_ERR_UNTRUSTED_ISSUER");
  });

  it("rejects a token signed by a key other than its iss", async () => {
    const mallory = KeyPair.create("account");
    const genuine = await signed();
    const forgedClaims = decodeToken(new TextDecoder().decode(jwtSectionContents(genuine)[0]!)).claims;
    const forged = await new SignJWT({
      jti: "x",
      iat: forgedClaims.iat,
      iss: account.publicKey,
      sub: moduleKey.publicKey,
      wascap: { hash: forgedClaims.hash, caps: ["wascc:keyvalue"], tags: [], prov: false },
    })
      .setProtectedHeader({ typ: "jwt", alg: "Ed25519" })
      .sign(mallory.privateKey);
    expect(errorCode(await verifyModule(withToken(genuine, forged)))).toBe("WACTOR_ERR_BAD_SIGNATURE");
  });

  it("rejects alg none, HS256 and RS256 tokens", async () => {
    const payload = { jti: "x", iat: 1, iss: account.publicKey, sub: moduleKey.publicKey, wascap: { hash: moduleHash(answerModule()), caps: [], tags: [] } };
    const none = `${Buffer.from('{"alg":"none","typ":"jwt"}').toString("base64url")}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}.AA`;
    const hs256 = await new SignJWT(payload).setProtectedHeader({ alg: "HS256", typ: "jwt" }).sign(createSecretKey(Buffer.alloc(32, 1)));
    const rs256 = await tokenWithHeader({ alg: "RS256", typ: "jwt" }, payload);
    for (const token of [none, hs256, rs256]) {
      expect(errorCode(await verifyModule(withToken(answerModule(), token)))).toBe("WACTOR_ERR_UNSUPPORTED_ALG");
    }
  });

  it.each([
    ["empty file", new Uint8Array(0), "WACTOR_ERR_NOT_WASM"],
    ["garbage", new TextEncoder().encode("this is not a wasm module at all"), "WACTOR_ERR_NOT_WASM"],
    ["wrong version", new Uint8Array([0, 0x61, 0x73, 0x6d, 2, 0, 0, 0]), "WACTOR_ERR_NOT_WASM"],
    ["header cut short", new Uint8Array([0, 0x61, 0x73]), "WACTOR_ERR_TRUNCATED_MODULE"],
    ["truncated module", answerModule().subarray(0, 20), "WACTOR_ERR_TRUNCATED_MODULE"],
    ["unsigned module", answerModule(), "WACTOR_ERR_NO_CLAIMS"],
    ["jwt section holding junk", new Uint8Array([...answerModule(), ...customSection("jwt", [1, 2, 3, 0xff])]), "WACTOR_ERR_MALFORMED_TOKEN"],
    [
      "jwt section holding text",
      new Uint8Array([...answerModule(), ...customSection("jwt", [...new TextEncoder().encode("a.b.c")])]),
      "WACTOR_ERR_MALFORMED_TOKEN",
    ],
  ])("gives a clear error for %s", async (_name, bytes, code) => {
    const verdict = await verifyModule(bytes);
    expect(errorCode(verdict)).toBe(code);
    if (!verdict.valid) expect(verdict.error.message.length).toBeGreaterThan(20);
  });

  it("rejects a module carrying two jwt sections", async () => {
    const bytes = await signed();
    const doubled = new Uint8Array([...bytes, ...customSection("jwt", jwtSectionContents(bytes)[0]!)]);
    expect(errorCode(await verifyModule(doubled))).toBe("WACTOR_ERR_MALFORMED_TOKEN");
  });

  it("handles a 50 MB module: signs and verifies it, and refuses it above the size limit", async () => {
    const big = await signed(answerModule({ padding: 50 * 1024 * 1024 }));
    expect(big.length).toBeGreaterThan(50 * 1024 * 1024);
    expect((await verifyModule(big)).valid).toBe(true);
    expect(errorCode(await verifyModule(big, { maxModuleBytes: 10 * 1024 * 1024 }))).toBe("WACTOR_ERR_MODULE_TOO_LARGE");
    const garbage = new Uint8Array(50 * 1024 * 1024).fill(0xab);
    expect(errorCode(await verifyModule(garbage))).toBe("WACTOR_ERR_NOT_WASM");
  });
});

describe("claims: the public waSCC token", () => {
  // From the waSCC docs ("Embedding Tokens"): a messaging actor signed by the same account
  // as the kvcounter vector in docs/wascc-protocol.md §3. Early waSCC kept hash/caps at the top level.
  const WASCC_TOKEN =
    "eyJ0eXAiOiJqd3QiLCJhbGciOiJFZDI1NTE5In0.eyJqdGkiOiJDM3JzeWt2cHFxNFFpc1ZhQnd2MGU4IiwiaWF0IjoxNTc1NDkzMDE0LCJpc3MiOiJBQUdSVVhYVEdTUDRDMjdSV1BUTUNIQ0pGNTZKRDUzRVFQQTJSN1JQQzVWSTRFMjc0S1BSTU1KNSIsInN1YiI6Ik1CSFJTSk9SQlhBUFJDQUxLNkVLT0JCQ05BUE1SVE02T0RMWE5MT1Y1VEtQRE1QWE1UQ01SNERXIiwiaGFzaCI6IjM4NTgwQjhCRkY3RjdDNTlBN0I0RENERTc4MTA5N0QxNzIzN0UwMkU3N0M5MjVGMUU0OURDN0QyMEFCNThBNEEiLCJ0YWdzIjpbXSwiY2FwcyI6WyJ3YXNjYzptZXNzYWdpbmciXX0.LC_zuDTItYME0xMNU0Pa4M6Aj5y1loF3BZUbWeMgFH3f0uhV0pUN6ZSkiA4n4vyRDV0gSwARTsXfQrvmfd4fDw";

  it("decodes its claims and verifies its Ed25519 signature by the issuer", async () => {
    const { alg, claims } = decodeToken(WASCC_TOKEN);
    expect(alg).toBe("Ed25519");
    expect(claims).toMatchObject({
      issuer: "AAGRUXXTGSP4C27RWPTMCHCJF56JD53EQPA2R7RPC5VI4E274KPRMMJ5",
      subject: "MBHRSJORBXAPRCALK6EKOBBCNAPMRTM6ODLXNLOV5TKPDMPXMTCMR4DW",
      hash: "38580B8BFF7F7C59A7B4DCDE781097D17237E02E77C925F1E49DC7D20AB58A4A",
      caps: ["wascc:messaging"],
      iat: 1575493014,
    });
    await expect(verifyTokenSignature(WASCC_TOKEN, claims.issuer)).resolves.toBeUndefined();
  });

  it("passes the signature check inside a module and then fails only on the hash", async () => {
    // Our test module is not the one that token was issued for: signature ok, hash not.
    expect(errorCode(await verifyModule(withToken(answerModule(), WASCC_TOKEN)))).toBe("WACTOR_ERR_HASH_MISMATCH");
    const altered = WASCC_TOKEN.replace("LC_zuD", "LC_zuE");
    expect(errorCode(await verifyModule(withToken(answerModule(), altered)))).toBe("WACTOR_ERR_BAD_SIGNATURE");
  });
});

describe("claims: property tests", () => {
  it("random bytes never crash verification and never verify", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), fc.boolean(), async (body, withHeader) => {
        const bytes = withHeader ? new Uint8Array([...WASM_HEADER, ...body]) : body;
        const verdict = await verifyModule(bytes);
        expect(verdict.valid).toBe(false);
      }),
      { seed: 42, numRuns: 400 },
    );
  });

  it("random mutations of a signed module never crash verification and never verify", async () => {
    const original = await signed();
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat({ max: original.length - 1 }), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
        async (mutations) => {
          const bytes = original.slice();
          for (const [at, xor] of mutations) bytes[at]! ^= xor;
          const verdict = await verifyModule(bytes);
          expect(verdict.valid).toBe(false);
        },
      ),
      { seed: 42, numRuns: 400 },
    );
  });
});
