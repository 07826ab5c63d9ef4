/**
 * Fuzzing with fast-check (fixed seed, bounded runs in CI; FUZZ_RUNS=100000 locally): the
 * claims reader, the manifest parser, the payload codecs and the lattice invocation decoder
 * either accept an input or refuse it with a WactorError — never another exception, never a hang.
 */
import { readFileSync } from "node:fs";
import { encode } from "@msgpack/msgpack";
import fc from "fast-check";
import { stringify } from "yaml";
import { describe, expect, it } from "vitest";
import { verifyModule } from "../../src/claims/verify.js";
import { decodeHttpRequest, decodeHttpResponse } from "../../src/codec/http.js";
import { decodeKeyValueRequest } from "../../src/codec/keyvalue.js";
import { decodeBrokerMessage, decodeRequestMessage } from "../../src/codec/messaging.js";
import { parseHostManifest } from "../../src/deploy/host-manifest.js";
import { WactorError } from "../../src/errors.js";
import { decodeInvocation } from "../../src/lattice/wire/invocation.js";
import { actor } from "../helpers/actors.js";

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const params = { seed: 20261125, numRuns: RUNS };

/** Runs `fn`; any throw must be a WactorError naming the input's fault, not WACTOR_ERR_INTERNAL (a bug). */
function acceptsOrRefuses(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof WactorError) || err.code === "WACTOR_ERR_INTERNAL") throw err;
  }
}

const anyValue = fc.anything({ maxDepth: 4, withNullPrototype: false, withBigInt: false, withBoxedValues: false, withTypedArray: true });

describe("hardening: fuzzing", () => {
  it("the manifest parser: random text", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => acceptsOrRefuses(() => parseHostManifest(text, "fuzz.yaml"))),
      params,
    );
  });

  it("the manifest parser: random YAML documents shaped like manifests", () => {
    const entry = fc.oneof(
      fc.string(),
      fc.record({ path: fc.string(), instances: fc.oneof(fc.integer(), fc.string()), deadline_ms: fc.integer() }, { requiredKeys: [] }),
    );
    const doc = fc.record(
      {
        labels: fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer())),
        actors: fc.oneof(fc.array(entry, { maxLength: 3 }), anyValue),
        capabilities: fc.array(fc.record({ id: fc.string(), path: fc.string(), binding: fc.string() }, { requiredKeys: [] }), { maxLength: 3 }),
        bindings: fc.array(fc.record({ actor: fc.string(), capability: fc.string(), values: fc.dictionary(fc.string(), anyValue) }, { requiredKeys: [] }), {
          maxLength: 3,
        }),
        extra: anyValue,
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(doc, (d) => acceptsOrRefuses(() => parseHostManifest(stringify(d), "/tmp/fuzz.yaml"))),
      params,
    );
  });

  it("payload codecs: random bytes and random MessagePack values", () => {
    const decoders: Array<(b: Uint8Array) => unknown> = [
      decodeHttpRequest,
      decodeHttpResponse,
      (b) => decodeKeyValueRequest("Set", b),
      (b) => decodeKeyValueRequest("Range", b),
      (b) => decodeBrokerMessage(b),
      decodeRequestMessage,
    ];
    const payload = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      anyValue.map((v) => encode(v, { ignoreUndefined: true })),
    );
    fc.assert(
      fc.property(payload, (bytes) => decoders.forEach((decode) => acceptsOrRefuses(() => decode(bytes)))),
      params,
    );
  });

  it("the lattice invocation decoder: random bytes and random maps", () => {
    const payload = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      anyValue.map((v) => encode(v, { ignoreUndefined: true })),
    );
    fc.assert(
      fc.property(payload, (bytes) => acceptsOrRefuses(() => decodeInvocation(bytes))),
      params,
    );
  });

  it("the claims reader: a signed module with random bytes changed always gets a verdict", async () => {
    const signed = new Uint8Array(readFileSync(actor("echo").signedPath));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(signed.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), async (edits) => {
        const bytes = signed.slice();
        for (const [at, xor] of edits) bytes[at]! ^= xor;
        const verdict = await verifyModule(bytes);
        // Any change is caught: either the layout, the token or the hash no longer holds.
        expect(verdict.valid).toBe(false);
        if (!verdict.valid) {
          expect(verdict.error).toBeInstanceOf(WactorError);
          expect(verdict.error.code).not.toBe("WACTOR_ERR_INTERNAL");
        }
      }),
      { ...params, numRuns: Math.min(RUNS, 200) },
    );
  });
});
