/**
 * The hand-written Job codec (src/codec/job-wire.ts, job-wire-read.ts) against the generic one it stands in for:
 * the same bytes out, the same values back, and the generic codec's answer (or error) for
 * every shape the fast reader does not take.
 */
import { isDeepStrictEqual } from "node:util";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Encoder } from "@msgpack/msgpack";
import {
  decodeJobReply,
  decodeJobReplyGeneric,
  decodeJobRequest,
  decodeJobRequestGeneric,
  encodeJobReply,
  encodeJobReplyGeneric,
  encodeJobRequest,
  encodeJobRequestGeneric,
  type JobReply,
  type JobRequest,
} from "../src/codec/job.js";
import { NOT_FAST, writeJobReply, writeJobRequest } from "../src/codec/job-wire.js";
import { readJobReply, readJobRequest } from "../src/codec/job-wire-read.js";

const text = fc.oneof(
  fc.string(),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.string({ minLength: 250, maxLength: 300 }).map((s) => s.repeat(240)),
);
const bytes = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.integer({ min: 65_530, max: 65_600 }).map((n) => new Uint8Array(n).fill(7)),
);
const key = fc.string().filter((k) => k !== "__proto__");
const strings = fc.dictionary(key, fc.string(), { maxKeys: 20 });
const request: fc.Arbitrary<JobRequest> = fc.record({
  method: fc.string(),
  url: text,
  requestId: fc.uuid(),
  body: bytes,
  headers: strings,
  params: strings,
  state: fc.dictionary(key, bytes, { maxKeys: 18 }),
});
const reply: fc.Arbitrary<JobReply> = fc.oneof(
  fc.record({ output: bytes, headers: strings }),
  fc.record({ error: fc.record({ code: fc.integer({ min: -0x80000000, max: 0xffffffff }), message: text }) }),
);
const raw = new Encoder();
/** The value with its maps as ordinary objects (the fast reader's have no prototype). */
const plain = <T>(value: T): T =>
  value && typeof value === "object" && !(value instanceof Uint8Array)
    ? (Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)])) as T)
    : value;
/** Byte equality without a diff of every element (large payloads are compared often here). */
const same = (a: Uint8Array | typeof NOT_FAST, b: Uint8Array): boolean => a !== NOT_FAST && Buffer.compare(a, b) === 0;

describe("the hand-written Job codec", () => {
  it("writes the bytes the generic encoder writes, requests and replies", () => {
    fc.assert(
      fc.property(request, (r) => {
        expect(same(writeJobRequest(r), encodeJobRequestGeneric(r))).toBe(true);
      }),
      { numRuns: 100 },
    );
    fc.assert(
      fc.property(reply, (r) => {
        expect(same(writeJobReply(r), encodeJobReplyGeneric(r))).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it("reads back what the generic decoder reads, with byte values as views of the payload", () => {
    fc.assert(
      fc.property(request, (r) => {
        const payload = encodeJobRequestGeneric(r);
        const fast = readJobRequest(payload);
        expect(isDeepStrictEqual(plain(fast), plain(decodeJobRequestGeneric(payload)))).toBe(true);
        expect(Object.getPrototypeOf(fast!.state)).toBeNull(); // a peer's keys stay plain keys
        for (const v of Object.values(fast!.state)) expect(v.buffer).toBe(payload.buffer);
      }),
      { numRuns: 100 },
    );
    fc.assert(
      fc.property(reply, (r) => {
        const payload = encodeJobReplyGeneric(r);
        expect(isDeepStrictEqual(plain(readJobReply(payload)), plain(decodeJobReplyGeneric(payload)))).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it("leaves the other shapes to the generic codec, whose answer (or error) stands", () => {
    const odd = [
      { method: "GET", body: "a string body", headers: { a: ["1", "2"] } }, // str as bytes, a list of header values
      { method: "GET", state: { k: "text" }, extra: 1 }, // str state value, an unknown key
      { method: "GET", headers: { a: null } }, // a nil header value: the generic error
      { method: 7 }, // a number where a string goes: the generic error
    ];
    // A map with an integer key (0x81, key 1, value "x"): left to the generic decoder.
    expect(readJobRequest(new Uint8Array([0x81, 0x01, 0xa1, 0x78]))).toBeUndefined();
    for (const value of odd) {
      const payload = raw.encode(value);
      expect(readJobRequest(payload)).toBeUndefined();
      const generic = (() => {
        try {
          return decodeJobRequestGeneric(payload);
        } catch (err) {
          return err;
        }
      })();
      if (generic instanceof Error) expect(() => decodeJobRequest(payload)).toThrow(generic.message);
      else expect(decodeJobRequest(payload)).toEqual(generic);
    }
    // `__proto__` as a key: refused by the generic decoder, so refused here too.
    const proto = new Uint8Array([0x81, 0xa9, ...new TextEncoder().encode("__proto__"), 0xc0]);
    expect(readJobRequest(proto)).toBeUndefined();
    expect(() => decodeJobRequest(proto)).toThrow();
    // An unknown reply key; a float error code (the generic decoder refuses it).
    const trailer = raw.encode({ output: new Uint8Array([1]), trailer: true });
    expect(readJobReply(trailer)).toBeUndefined();
    expect(decodeJobReply(trailer)).toEqual({ output: new Uint8Array([1]), headers: {} });
    const float = raw.encode({ error: { code: 1.5, message: "m" } });
    expect(readJobReply(float)).toBeUndefined();
    expect(() => decodeJobReply(float)).toThrow(/'code' must be an integer/);
    // Truncated and empty payloads are the generic codec's WACTOR_ERR_BAD_PAYLOAD.
    const whole = encodeJobReply({ output: new Uint8Array(10), headers: {} });
    expect(() => decodeJobReply(whole.subarray(0, whole.length - 3))).toThrow(/Job reply/);
    expect(() => decodeJobRequest(new Uint8Array(0))).toThrow(/empty/);
  });

  it("hands values it cannot write to the generic encoder", () => {
    const bad = { method: "GET", url: "/", requestId: "r", body: new Uint8Array(), headers: { a: undefined }, params: {}, state: {} } as unknown as JobRequest;
    expect(writeJobRequest(bad)).toBe(NOT_FAST);
    expect(encodeJobRequest(bad)).toEqual(encodeJobRequestGeneric(bad));
    const float: JobReply = { error: { code: 2.5, message: "x" } };
    expect(writeJobReply(float)).toBe(NOT_FAST);
    expect(encodeJobReply(float)).toEqual(encodeJobReplyGeneric(float));
  });
});
