/**
 * Properties on results, not only "nothing but a WactorError is thrown": what is encoded
 * decodes to the same value, what is signed verifies, and what is changed after signing is
 * refused with the code that names the change. Fixed seeds, bounded runs (FUZZ_RUNS raises them).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodePublicKey, decodeSeed, encodePublicKey, encodeSeed, KEY_TYPES, KeyPair } from "../../src/claims/nkeys.js";
import { signModule } from "../../src/claims/sign.js";
import { verifyModule } from "../../src/claims/verify.js";
import { jwtSectionContents, listSections } from "../../src/claims/wasm-sections.js";
import {
  decodeBrokerMessage,
  decodeHttpRequest,
  decodeHttpResponse,
  decodeKeyValueRequest,
  decodeRequestMessage,
  encodeBrokerMessage,
  encodeHttpRequest,
  encodeHttpResponse,
  encodeKeyValueRequest,
  encodeRequestMessage,
} from "../../src/codec/mod.js";
import { answerModule } from "../helpers/wasm-fixtures.js";

const RUNS = Number(process.env.FUZZ_RUNS ?? 200);
const params = { seed: 20261202, numRuns: RUNS };

const text = fc.string({ maxLength: 40 });
const headers = fc.dictionary(
  text.filter((k) => k !== "__proto__"),
  text,
  { maxKeys: 5 },
);
const body = fc.uint8Array({ maxLength: 64 });
const CAPS = ["wascc:http_server", "wascc:keyvalue", "wascc:messaging", "wascc:logging", "wascc:extras"];

describe("properties: codecs round-trip", () => {
  it("HandleRequest and its response", () => {
    const request = fc.record({ method: text, path: text, queryString: text, header: headers, body });
    const response = fc.record({ statusCode: fc.integer({ min: 100, max: 599 }), status: text, header: headers, body });
    fc.assert(
      fc.property(request, response, (req, res) => {
        expect(decodeHttpRequest(encodeHttpRequest(req))).toEqual(req);
        expect(decodeHttpResponse(encodeHttpResponse(res))).toEqual(res);
      }),
      params,
    );
  });

  it("messaging messages and requests", () => {
    const message = fc.record({ subject: text, replyTo: text, body });
    const request = fc.record({ subject: text, body, timeout: fc.nat({ max: 2 ** 31 - 1 }) });
    fc.assert(
      fc.property(message, request, (m, r) => {
        expect(decodeBrokerMessage(encodeBrokerMessage(m))).toEqual(m);
        expect(decodeRequestMessage(encodeRequestMessage(r))).toEqual(r);
      }),
      params,
    );
  });

  it("key-value requests", () => {
    fc.assert(
      fc.property(text, fc.integer(), text, fc.nat({ max: 2 ** 31 - 1 }), (key, n, value, expires) => {
        expect(decodeKeyValueRequest("Add", encodeKeyValueRequest("Add", { key, value: n }))).toEqual({ key, value: n });
        expect(decodeKeyValueRequest("Set", encodeKeyValueRequest("Set", { key, value, expires }))).toEqual({ key, value, expires });
      }),
      params,
    );
  });
});

describe("properties: nkeys", () => {
  it("public keys and seeds of every type round-trip; a signature verifies and a changed message does not", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...KEY_TYPES),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        fc.nat(),
        (type, raw, data, at) => {
          expect(decodePublicKey(encodePublicKey(type, raw))).toEqual({ type, raw });
          expect(decodeSeed(encodeSeed(type, raw))).toEqual({ type, raw });
          const pair = KeyPair.fromSeed(encodeSeed(type, raw));
          expect(KeyPair.fromSeed(pair.seed).publicKey).toBe(pair.publicKey);
          const signature = pair.sign(data);
          expect(KeyPair.fromPublicKey(pair.publicKey).verify(data, signature)).toBe(true);
          const changed = data.slice();
          changed[at % changed.length]! ^= 0x01;
          expect(KeyPair.fromPublicKey(pair.publicKey).verify(changed, signature)).toBe(false);
        },
      ),
      params,
    );
  });
});

describe("properties: signed modules", () => {
  const account = KeyPair.create("account");
  const subject = KeyPair.create("module");
  const claimsInput = fc.record({
    caps: fc.subarray(CAPS),
    name: fc.string({ minLength: 1, maxLength: 20 }),
    tags: fc.array(fc.string({ minLength: 1, maxLength: 10 }), { maxLength: 3 }),
    ver: fc.string({ maxLength: 10 }),
    rev: fc.nat({ max: 1_000_000 }),
  });

  it("verify(sign(x)) is valid and gives back the claims signed", async () => {
    await fc.assert(
      fc.asyncProperty(claimsInput, async (input) => {
        const signed = await signModule(answerModule(), { issuer: account, subject, ...input });
        const verdict = await verifyModule(signed.bytes, { trustedIssuers: [account.publicKey] });
        expect(verdict.valid).toBe(true);
        if (!verdict.valid) return;
        expect(verdict.claims).toMatchObject({
          issuer: account.publicKey,
          subject: subject.publicKey,
          caps: input.caps,
          name: input.name,
          tags: input.tags,
          rev: input.rev,
        });
        expect(verdict.claims.hash).toBe(verdict.hash);
      }),
      { ...params, numRuns: Math.min(RUNS, 100) },
    );
  });

  it("any one-byte change is refused with the code that names it, never INTERNAL", async () => {
    const signed = (await signModule(answerModule({ padding: 64 }), { issuer: account, subject, caps: CAPS, name: "p" })).bytes;
    const sections = listSections(signed);
    const jwt = sections.find((s) => s.name === "jwt")!;
    const token = new TextDecoder().decode(jwtSectionContents(signed)[0]!);
    const signatureStart = jwt.contentStart! + token.lastIndexOf(".") + 1;
    /** The first byte after a section's id and LEB128 size. */
    const bodyOf = (section: { start: number }): number => {
      let at = section.start + 1;
      while (signed[at]! & 0x80) at++;
      return at + 1;
    };
    /** Where a byte sits decides the one code its change must give. */
    const expectedAt = (at: number): string | undefined => {
      const section = sections.find((s) => at >= s.start && at < s.end);
      const bodyStart = section?.contentStart ?? -1;
      if (section && section.name === undefined && at >= bodyOf(section)) return "WACTOR_ERR_HASH_MISMATCH"; // a type/func/code body: layout intact
      // A signature character (not the last one, whose low bits are padding) changes the signature.
      if (section === jwt && at >= signatureStart && at < jwt.end - 1 && bodyStart > 0) return "WACTOR_ERR_BAD_SIGNATURE";
      return undefined; // header bytes and token text: a structural or token code, asserted below
    };
    const hits: Record<string, number> = {};
    await fc.assert(
      fc.asyncProperty(fc.nat(signed.length - 1), fc.integer({ min: 1, max: 255 }), async (at, xor) => {
        const bytes = signed.slice();
        bytes[at]! ^= xor;
        const verdict = await verifyModule(bytes);
        expect(verdict.valid).toBe(false);
        if (verdict.valid) return;
        expect(verdict.error.code).not.toBe("WACTOR_ERR_INTERNAL");
        const expected = expectedAt(at);
        hits[expected ?? "other"] = (hits[expected ?? "other"] ?? 0) + 1;
        const isBase64url = /[A-Za-z0-9_-]/.test(String.fromCharCode(bytes[at]!));
        if (expected === "WACTOR_ERR_BAD_SIGNATURE" && !isBase64url) expect(verdict.error.code).toBe("WACTOR_ERR_MALFORMED_TOKEN");
        else if (expected) expect(verdict.error.code).toBe(expected);
        else
          expect([
            "WACTOR_ERR_NOT_WASM",
            "WACTOR_ERR_TRUNCATED_MODULE",
            "WACTOR_ERR_NO_CLAIMS",
            "WACTOR_ERR_MALFORMED_TOKEN",
            "WACTOR_ERR_UNSUPPORTED_ALG",
            "WACTOR_ERR_BAD_SIGNATURE",
            "WACTOR_ERR_HASH_MISMATCH",
          ]).toContain(verdict.error.code);
      }),
      { ...params, numRuns: Math.min(RUNS * 2, 400) },
    );
    // Each kind of place was hit, so each exact expectation above was exercised.
    expect(Object.keys(hits).sort()).toEqual(["WACTOR_ERR_BAD_SIGNATURE", "WACTOR_ERR_HASH_MISMATCH", "other"]);
  });
});
