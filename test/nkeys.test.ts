import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { KeyPair, KEY_TYPES, decodePublicKey, decodeSeed, encodePublicKey, encodeSeed, isPublicKey } from "../src/claims/nkeys.js";
import { isWactorError } from "../src/errors.js";

// Real keys from the waSCC kvcounter actor (docs/wascc-protocol.md §3 and §4).
const SPEC_ISSUER = "AAGRUXXTGSP4C27RWPTMCHCJF56JD53EQPA2R7RPC5VI4E274KPRMMJ5";
const SPEC_SUBJECT = "MASCXFM4R6X63UD5MSCDZYCJNPBVSIU6RKMXUPXRKAOSBQ6UY3VT3NPZ";
const FIRST_LETTER = { account: "A", cluster: "C", module: "M", server: "N", operator: "O", user: "U", service: "V" };

describe("nkeys codec", () => {
  it("decodes and re-encodes the real waSCC account and module keys", () => {
    for (const [key, type] of [
      [SPEC_ISSUER, "account"],
      [SPEC_SUBJECT, "module"],
    ] as const) {
      const decoded = decodePublicKey(key);
      expect(decoded.type).toBe(type);
      expect(decoded.raw).toHaveLength(32);
      expect(encodePublicKey(decoded.type, decoded.raw)).toBe(key);
    }
  });

  it.each(KEY_TYPES)("generates %s keys whose seed round-trips and signs", (type) => {
    const pair = KeyPair.create(type);
    expect(pair.publicKey).toHaveLength(56);
    expect(pair.publicKey[0]).toBe(FIRST_LETTER[type]);
    expect(pair.seed).toHaveLength(58);
    expect(pair.seed.slice(0, 2)).toBe(`S${FIRST_LETTER[type]}`);
    const again = KeyPair.fromSeed(pair.seed);
    expect(again.publicKey).toBe(pair.publicKey);
    expect(decodeSeed(pair.seed).type).toBe(type);
    const data = new TextEncoder().encode("hello");
    const signature = pair.sign(data);
    expect(KeyPair.fromPublicKey(pair.publicKey).verify(data, signature)).toBe(true);
    expect(KeyPair.fromPublicKey(pair.publicKey).verify(new TextEncoder().encode("hellO"), signature)).toBe(false);
  });

  it("encodes seeds per the spec's prefix bytes", () => {
    const raw = new Uint8Array(32).fill(7);
    const seed = encodeSeed("module", raw);
    expect(seed.startsWith("SM")).toBe(true);
    expect(decodeSeed(seed)).toEqual({ type: "module", raw });
  });

  it("rejects a key with a flipped character (checksum) with WACTOR_ERR_INVALID_KEY", () => {
    const broken = SPEC_SUBJECT.slice(0, 10) + (SPEC_SUBJECT[10] === "A" ? "B" : "A") + SPEC_SUBJECT.slice(11);
    expect(() => decodePublicKey(broken)).toThrowError(expect.objectContaining({ code: "WACTOR_ERR_INVALID_KEY" }));
    expect(isPublicKey(broken)).toBe(false);
    expect(isPublicKey(SPEC_SUBJECT, "module")).toBe(true);
    expect(isPublicKey(SPEC_SUBJECT, "account")).toBe(false);
  });

  it("never crashes on arbitrary strings", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 70 }), (text) => {
        for (const decode of [decodePublicKey, decodeSeed]) {
          try {
            decode(text);
          } catch (err) {
            expect(isWactorError(err, "WACTOR_ERR_INVALID_KEY")).toBe(true);
          }
        }
      }),
      { seed: 7, numRuns: 500 },
    );
  });
});
