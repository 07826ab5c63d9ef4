/**
 * The payloads runnables add (docs/runnables.md): Job, wascc:http_client Request, wactor:static
 * Read; and the pure rules beneath the imports (request fields, static names, sorted JSON).
 */
import { describe, expect, it } from "vitest";
import {
  decodeHttpClientRequest,
  decodeHttpClientResponse,
  decodeJobReply,
  decodeJobRequest,
  decodeStaticReadReply,
  decodeStaticReadRequest,
  encode,
  encodeHttpClientRequest,
  encodeHttpClientResponse,
  encodeJobReply,
  encodeJobRequest,
  encodeStaticReadReply,
  encodeStaticReadRequest,
} from "../src/codec/mod.js";
import { decodeFirst } from "../src/codec/msgpack.js";
import { normalizeStaticName } from "../src/host/static-files.js";
import type { JobRequest } from "../src/runtime/reactr/job.js";
import { getField, setField, sortedJson } from "../src/runtime/reactr/request-fields.js";

const enc = (text: string) => new TextEncoder().encode(text);
const dec = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe("codecs", () => {
  it("Job request and both reply shapes round-trip; state values are bytes", () => {
    const request = {
      method: "GET",
      url: "/a?b=1",
      requestId: "r-1",
      body: enc("x"),
      headers: { h: "1" },
      params: { p: "2" },
      state: { s: new Uint8Array([0, 255]) },
    };
    expect(decodeJobRequest(encodeJobRequest(request))).toEqual(request);
    expect(decodeJobReply(encodeJobReply({ output: enc("out"), headers: { a: "b" } }))).toEqual({ output: enc("out"), headers: { a: "b" } });
    expect(decodeJobReply(encodeJobReply({ error: { code: 418, message: "teapot" } }))).toEqual({ error: { code: 418, message: "teapot" } });
    expect(() => decodeJobRequest(encode({ state: { s: 5 } }))).toThrow(/state: field 's' must be bytes/);
  });

  it("http_client Request and its response use exactly the field names of the contract", () => {
    const request = { method: "POST", url: "http://x/y", header: { "Content-Type": "text/plain" }, body: enc("b") };
    expect(decodeHttpClientRequest(encodeHttpClientRequest(request))).toEqual(request);
    expect(Object.keys(decodeFirstMap(encodeHttpClientRequest(request)))).toEqual(["method", "url", "header", "body"]);
    const response = { statusCode: 201, status: "Created", header: { a: "1" }, body: enc("ok") };
    expect(decodeHttpClientResponse(encodeHttpClientResponse(response))).toEqual(response);
  });

  it("static Read", () => {
    expect(decodeStaticReadRequest(encodeStaticReadRequest("a/b.txt"))).toBe("a/b.txt");
    expect(decodeStaticReadReply(encodeStaticReadReply({ enabled: true, found: false, body: new Uint8Array() }))).toEqual({
      enabled: true,
      found: false,
      body: new Uint8Array(),
    });
  });
});

const decodeFirstMap = (bytes: Uint8Array): Record<string, unknown> => decodeFirst(bytes) as Record<string, unknown>;

describe("request fields", () => {
  const request = (): JobRequest => ({
    method: "POST",
    url: "/p?q=1&q=2&e=",
    requestId: "id-1",
    body: enc('{"b":"x","a":"y","n":1}'),
    headers: Object.assign(Object.create(null) as Record<string, string>, { "x-name": "ann" }),
    params: Object.create(null) as Record<string, string>,
    state: Object.create(null) as Record<string, Uint8Array>,
    respHeaders: Object.create(null) as Record<string, string>,
    ownMaps: true,
  });
  const text = (answer: ReturnType<typeof getField>) => (answer === -1 ? -1 : "data" in answer ? dec(answer.data) : { error: answer.error });

  it("reads meta, body fields, headers (lower-cased), query, and answers -1 where the contract says", () => {
    const r = request();
    expect(text(getField(r, 0, "method"))).toBe("POST");
    expect(text(getField(r, 0, "id"))).toBe("id-1");
    expect(text(getField(r, 0, "other"))).toBe("");
    expect(text(getField(r, 1, "a"))).toBe("y");
    expect(text(getField(r, 1, "n"))).toBe(-1); // not a string
    expect(text(getField(r, 1, "missing"))).toBe(-1);
    expect(text(getField(r, 2, "X-NAME"))).toBe("ann");
    expect(text(getField(r, 2, "__proto__"))).toBe("");
    expect(text(getField(r, 5, "q"))).toBe("1");
    expect(text(getField(r, 5, "absent"))).toBe("");
    expect(text(getField(r, 7, "q"))).toBe(-1);
    expect(text(getField(undefined, 0, "method"))).toBe(-1);
  });

  it("keeps __proto__ a plain key in a bundle step's plain-object state and headers, and copies shared state and headers before a write", () => {
    const shared = { "x-name": "ann" };
    const sharedState = { kept: enc("k") };
    const r: JobRequest = { ...request(), state: sharedState, respHeaders: {}, headers: shared, ownMaps: undefined };
    expect(text(setField(r, 4, "__proto__", enc("p")))).toBe("");
    expect(Object.keys(sharedState)).toEqual(["kept"]); // a group's other members still see the state as it came
    expect(Object.getPrototypeOf(sharedState)).toBe(Object.prototype);
    expect(Object.keys(r.state).sort()).toEqual(["__proto__", "kept"]);
    expect(text(getField(r, 4, "__proto__"))).toBe("p");
    expect(text(getField(r, 4, "kept"))).toBe("k");
    expect(text(getField(r, 4, "toString"))).toBe(""); // inherited names are not state
    expect(text(setField(r, 2, "x-other", enc("o")))).toBe("");
    expect(shared).toEqual({ "x-name": "ann" }); // the request's other calls still see it as it came
    expect(text(getField(r, 2, "x-other"))).toBe("o");
  });

  it("writes fields: the JSON body re-serialized with sorted keys, and the contract's errors", () => {
    const r = request();
    expect(text(setField(r, 1, "c", enc("z")))).toBe("");
    expect(dec(r.body)).toBe('{"a":"y","b":"x","c":"z","n":1}');
    expect(text(setField(r, 0, "id", enc("new")))).toBe("");
    expect(r.requestId).toBe("id-1");
    expect(text(setField(r, 0, "nope", enc("v")))).toEqual({ error: "key not found" });
    expect(text(setField(r, 5, "q", enc("v")))).toEqual({ error: "invalid field type" });
    expect(text(setField(undefined, 2, "h", enc("v")))).toEqual({ error: "req is not set" });
  });

  it("sorted JSON sorts at every level and keeps arrays in order", () => {
    expect(sortedJson({ b: [{ d: 1, c: 2 }], a: null })).toBe('{"a":null,"b":[{"c":2,"d":1}]}');
  });
});

describe("static names", () => {
  it.each([
    ["static/a.txt", "a.txt"],
    ["/a.txt", "a.txt"],
    ["./a.txt", "a.txt"],
    ["static//./a.txt", "a.txt"],
    ["static/static/a.txt", "static/a.txt"],
    ["a/./b", "a/./b"],
  ])("%s -> %s", (name, expected) => expect(normalizeStaticName(name)).toBe(expected));
});
