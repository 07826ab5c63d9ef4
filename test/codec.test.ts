import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Encoder } from "@msgpack/msgpack";
import {
  decodeBrokerMessage,
  decodeExtrasReply,
  decodeExtrasRequest,
  decodeFirst,
  decodeHealthRequest,
  decodeHealthResponse,
  decodeHttpRequest,
  decodeHttpResponse,
  decodeKeyValueRequest,
  decodeKeyValueResponse,
  decodeRequestMessage,
  decodeWriteLog,
  encode,
  encodeBrokerMessage,
  encodeExtrasReply,
  encodeHealthRequest,
  encodeHealthResponse,
  encodeHttpRequest,
  encodeHttpResponse,
  encodeKeyValueResponse,
  encodeRequestMessage,
  KEYVALUE_OPERATIONS,
  decodeHttpClientRequest,
  decodeHttpClientResponse,
  encodeHttpClientRequest,
  encodeHttpClientResponse,
} from "../src/codec/mod.js";
import { isWactorError } from "../src/errors.js";

const bytes = (text: string) => new TextEncoder().encode(text);
const withTrailingByte = (payload: Uint8Array) => new Uint8Array([...payload, 0xc1]);

describe("payload codec", () => {
  it("round-trips an HTTP request and response with camelCase keys and bin bodies", () => {
    const request = {
      method: "POST",
      path: "/a/b",
      queryString: "x=1",
      header: { "content-type": "application/octet-stream" },
      body: new Uint8Array([0, 255, 7]),
    };
    const wire = encodeHttpRequest(request);
    expect(Object.keys(decodeFirst(wire) as object)).toEqual(["method", "path", "queryString", "header", "body"]);
    expect((decodeFirst(wire) as { body: unknown }).body).toBeInstanceOf(Uint8Array);
    expect(decodeHttpRequest(wire)).toEqual(request);
    const response = { statusCode: 201, status: "Created", header: { a: "b" }, body: bytes("{}") };
    expect(Object.keys(decodeFirst(encodeHttpResponse(response)) as object)).toContain("statusCode");
    expect(decodeHttpResponse(withTrailingByte(encodeHttpResponse(response)))).toEqual(response);
  });

  it("round-trips the http_client Request and its reply; method and url are required, named when wrong", () => {
    const request = { method: "POST", url: "https://api.example.com/v1?q=1", header: { accept: "application/json" }, body: new Uint8Array([1, 2]) };
    const wire = encodeHttpClientRequest(request);
    expect(Object.keys(decodeFirst(wire) as object)).toEqual(["method", "url", "header", "body"]);
    expect(decodeHttpClientRequest(withTrailingByte(wire))).toEqual(request);
    expect(decodeHttpClientRequest(encode({ method: "GET", url: "http://a.test/" }))).toEqual({
      method: "GET",
      url: "http://a.test/",
      header: {},
      body: new Uint8Array(0),
    });
    const response = { statusCode: 404, status: "Not Found", header: { "content-type": "text/plain" }, body: bytes("nope") };
    expect(Object.keys(decodeFirst(encodeHttpClientResponse(response)) as object)).toEqual(["statusCode", "status", "header", "body"]);
    expect(decodeHttpClientResponse(encodeHttpClientResponse(response))).toEqual(response);
    const fails = (decode: (p: Uint8Array) => unknown, value: unknown): string => {
      try {
        decode(encode(value));
        return "decoded";
      } catch (err) {
        return `${(err as { code?: string }).code}: ${(err as Error).message}`;
      }
    };
    expect(fails(decodeHttpClientRequest, { url: "http://a.test/" })).toMatch(/^WACTOR_ERR_BAD_PAYLOAD: .*field 'method' must be present/);
    expect(fails(decodeHttpClientRequest, { method: "GET", url: "" })).toMatch(/field 'url' must not be empty/);
    expect(fails(decodeHttpClientRequest, { method: "GET", url: "http://a.test/", body: { no: 1 } })).toMatch(/field 'body' must be bytes/);
    expect(fails(decodeHttpClientRequest, [1, 2])).toMatch(/expected a map/);
    expect(fails(decodeHttpClientResponse, { status: "OK" })).toMatch(/field 'statusCode' must be present/);
    expect(fails(decodeHttpClientResponse, { statusCode: 42 })).toMatch(/field 'statusCode' must be an HTTP status/);
  });

  it("accepts a trailing byte after the object (the AssemblyScript SDK sends one)", () => {
    expect(decodeFirst(withTrailingByte(encode({ a: 1 })))).toEqual({ a: 1 });
  });

  it("accepts str bodies and fills defaults the way waSCC actors tolerate", () => {
    const response = decodeHttpResponse(encode({ statusCode: 200, body: "hi" }));
    expect(response).toEqual({ statusCode: 200, status: "", header: {}, body: bytes("hi") });
  });

  it("decodes every key-value request and response", () => {
    expect(KEYVALUE_OPERATIONS).toHaveLength(14);
    expect(decodeKeyValueRequest("Add", encode({ key: ":foo", value: 1 }))).toEqual({ key: ":foo", value: 1 });
    expect(decodeKeyValueRequest("Set", encode({ key: "k", value: "v", expires: 5 }))).toEqual({ key: "k", value: "v", expires: 5 });
    expect(decodeKeyValueRequest("Range", encode({ key: "l", start: 0, stop: 3 }))).toEqual({ key: "l", start: 0, stop: 3 });
    expect(decodeKeyValueRequest("SetUnion", encode({ keys: ["a", "b"] }))).toEqual({ keys: ["a", "b"] });
    const push = encodeKeyValueResponse("Push", { newCount: 3 });
    expect(Object.keys(decodeFirst(push) as object)).toEqual(["newCount"]);
    expect(decodeKeyValueResponse("Push", push)).toEqual({ newCount: 3 });
    expect(decodeKeyValueResponse("Get", encodeKeyValueResponse("Get", { value: "v", exists: true }))).toEqual({ value: "v", exists: true });
  });

  it("decodes messaging, logging and extras payloads", () => {
    const message = { subject: "a.b", replyTo: "_INBOX.1", body: bytes("x") };
    expect(Object.keys(decodeFirst(encodeBrokerMessage(message)) as object)).toEqual(["subject", "replyTo", "body"]);
    expect(decodeBrokerMessage(encodeBrokerMessage(message))).toEqual(message);
    expect(decodeRequestMessage(encodeRequestMessage({ subject: "s", body: bytes("b"), timeout: 250 }))).toEqual({
      subject: "s",
      body: bytes("b"),
      timeout: 250,
    });
    expect(decodeWriteLog(encode({ level: 2, body: "careful" }))).toEqual({ level: 2, body: "careful" });
    expect(decodeExtrasRequest(encode({ random: true, min: 1, max: 6 }))).toMatchObject({ random: true, guid: false, min: 1, max: 6 });
    const reply = encodeExtrasReply({ guid: null, sequenceNumber: 4, randomNumber: 5 });
    expect(decodeFirst(reply)).toEqual({ guid: null, sequenceNumber: 4, randomNumber: 5 });
    expect(decodeExtrasReply(reply)).toEqual({ guid: null, sequenceNumber: 4, randomNumber: 5 });
  });

  it("round-trips the health check: request {placeholder}, healthy reply empty", () => {
    const request = encodeHealthRequest();
    expect(decodeFirst(request)).toEqual({ placeholder: true });
    expect(decodeHealthRequest(withTrailingByte(request))).toEqual({ placeholder: true });
    expect(decodeHealthRequest(encodeHealthRequest({ placeholder: false }))).toEqual({ placeholder: false });
    // The spec's healthy reply is the empty one, on the wire as well as decoded.
    const healthy = { healthy: true, message: "" };
    expect(encodeHealthResponse(healthy)).toHaveLength(0);
    expect(decodeHealthResponse(encodeHealthResponse(healthy))).toEqual(healthy);
    const unhealthy = { healthy: false, message: "database unreachable" };
    expect(decodeHealthResponse(withTrailingByte(encodeHealthResponse(unhealthy)))).toEqual(unhealthy);
    // What other guests send for "healthy": Rust `()` is nil, an empty struct is `{}`.
    expect(decodeHealthResponse(new Uint8Array([0xc0]))).toEqual(healthy);
    expect(decodeHealthResponse(encode({}))).toEqual(healthy);
    // Anything else is not a healthy reply.
    expect(() => decodeHealthResponse(encode({ status: "fine" }))).toThrowError(expect.objectContaining({ code: "WACTOR_ERR_BAD_PAYLOAD" }));
    expect(() => decodeHealthResponse(encode("ok"))).toThrowError(expect.objectContaining({ code: "WACTOR_ERR_BAD_PAYLOAD" }));
  });

  it.each([
    ["empty", new Uint8Array(0)],
    ["truncated", encodeHttpRequest({ method: "GET", path: "/", queryString: "", header: {}, body: new Uint8Array(10) }).subarray(0, 12)],
    ["wrong type", encode({ method: 7, path: "/" })],
    ["not a map", encode([1, 2, 3])],
    ["bad header value", encode({ method: "GET", path: "/", header: { a: 1 } })],
    ["1000-deep nesting", new Encoder({ maxDepth: 2000 }).encode(Array.from({ length: 1000 }).reduce<unknown>((inner) => [inner], 1))],
  ])("rejects %s input with WACTOR_ERR_BAD_PAYLOAD", (_name, payload) => {
    expect(() => decodeHttpRequest(payload)).toThrowError(expect.objectContaining({ code: "WACTOR_ERR_BAD_PAYLOAD" }));
  });

  it("takes 64 levels of nesting and refuses 65, in lists and in maps (bins are not levels)", () => {
    const deep = new Encoder({ maxDepth: 200 });
    const lists = (levels: number) => deep.encode(Array.from({ length: levels - 1 }).reduce<unknown>((inner) => [inner], [new Uint8Array(2)]));
    const maps = (levels: number) => deep.encode(Array.from({ length: levels - 1 }).reduce<unknown>((inner) => ({ a: 1, inner }), { b: new Uint8Array(2) }));
    for (const nested of [lists, maps]) {
      expect(decodeFirst(nested(64))).toBeTypeOf("object");
      expect(() => decodeFirst(nested(65))).toThrowError(
        expect.objectContaining({ code: "WACTOR_ERR_BAD_PAYLOAD", message: expect.stringContaining("deeper than 64") }),
      );
    }
  });

  it("never throws anything but WactorError on random bytes", () => {
    const decoders = [
      decodeHttpRequest,
      decodeHttpResponse,
      decodeBrokerMessage,
      decodeWriteLog,
      decodeHealthRequest,
      decodeHealthResponse,
      (p: Uint8Array) => decodeKeyValueRequest("Add", p),
    ];
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (payload) => {
        for (const decode of decoders) {
          try {
            decode(payload);
          } catch (err) {
            expect(isWactorError(err, "WACTOR_ERR_BAD_PAYLOAD")).toBe(true);
          }
        }
      }),
      { seed: 42, numRuns: 300 },
    );
  });
});
