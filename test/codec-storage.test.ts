/**
 * The blobstore and eventstreams payloads with waSCC's field names (camelCase MessagePack
 * maps, as its codec's `blobstore.rs` and `eventstreams.rs` name them), strict decoding that
 * names the field, and the in-place ReceiveChunk frame equal to the ordinary encoding.
 */
import { describe, expect, it } from "vitest";
import {
  decodeBlob,
  decodeBlobList,
  decodeContainer,
  decodeContainerList,
  decodeEvent,
  decodeFileChunk,
  decodeFirst,
  decodeStreamQuery,
  decodeStreamRequest,
  decodeStreamResults,
  decodeWriteResponse,
  encode,
  encodeBlob,
  encodeBlobList,
  encodeContainer,
  encodeContainerList,
  encodeEvent,
  encodeFileChunk,
  encodeStreamQuery,
  encodeStreamRequest,
  encodeStreamResults,
  encodeWriteResponse,
  fileChunkFrame,
} from "../src/codec/mod.js";

const keys = (wire: Uint8Array): string[] => Object.keys(decodeFirst(wire) as object);
const reason = (fn: () => unknown): string => {
  try {
    fn();
    return "decoded";
  } catch (err) {
    return `${(err as { code?: string }).code}: ${(err as Error).message}`;
  }
};

describe("blobstore payloads", () => {
  it("use waSCC's field names and round-trip", () => {
    const chunk = { sequenceNo: 3, container: "c", id: "b", totalBytes: 10, chunkSize: 4, context: "ctx", chunkBytes: new Uint8Array([1, 2]) };
    expect(keys(encodeFileChunk(chunk))).toEqual(["sequenceNo", "container", "id", "totalBytes", "chunkSize", "context", "chunkBytes"]);
    expect(decodeFileChunk(encodeFileChunk(chunk))).toEqual(chunk);
    // An absent context is left out, as waSCC's codec does; nil reads as absent.
    expect(keys(encodeFileChunk({ ...chunk, context: undefined }))).not.toContain("context");
    expect(decodeFileChunk(encode({ ...chunk, context: null })).context).toBeUndefined();
    expect(keys(encodeStreamRequest({ id: "b", container: "c", chunkSize: 0, context: "x" }))).toEqual(["id", "container", "chunkSize", "context"]);
    expect(decodeStreamRequest(encodeStreamRequest({ id: "b", container: "c", chunkSize: 9 }))).toEqual({
      id: "b",
      container: "c",
      chunkSize: 9,
      context: undefined,
    });
    expect(keys(encodeBlob({ id: "b", container: "c", byteSize: 5 }))).toEqual(["id", "container", "byteSize"]);
    expect(decodeBlobList(encodeBlobList([{ id: "b", container: "c", byteSize: 5 }]))).toEqual([{ id: "b", container: "c", byteSize: 5 }]);
    expect(keys(encodeBlobList([]))).toEqual(["blobs"]);
    expect(decodeContainer(encodeContainer({ id: "c" }))).toEqual({ id: "c" });
    expect(decodeContainerList(encodeContainerList([{ id: "c" }]))).toEqual([{ id: "c" }]);
    expect(decodeBlob(encodeBlob({ id: "b", container: "c", byteSize: 2 ** 40 })).byteSize).toBe(2 ** 40);
  });

  it("refuse a missing or mistyped field by name", () => {
    expect(reason(() => decodeContainer(encode({ ident: "x" })))).toMatch(/^WACTOR_ERR_BAD_PAYLOAD: .*'id'/);
    expect(reason(() => decodeFileChunk(encode({ id: "b", sequenceNo: 0 })))).toMatch(/^WACTOR_ERR_BAD_PAYLOAD: .*'container'/);
    expect(reason(() => decodeFileChunk(encode({ id: "b", container: "c", totalBytes: -1 })))).toMatch(/^WACTOR_ERR_BAD_PAYLOAD: .*'totalBytes'/);
    expect(reason(() => decodeFileChunk(encode({ id: "b", container: "c", chunkSize: "4" })))).toMatch(/^WACTOR_ERR_BAD_PAYLOAD: .*'chunkSize'/);
    expect(reason(() => decodeFileChunk(encode({ id: "b", container: "c", chunkBytes: 5 })))).toMatch(/^WACTOR_ERR_BAD_PAYLOAD: .*'chunkBytes'/);
    expect(reason(() => decodeStreamRequest(encode([1, 2])))).toMatch(/^WACTOR_ERR_BAD_PAYLOAD: .*expected a map/);
    expect(reason(() => decodeBlobList(encode({ blobs: "none" })))).toMatch(/^WACTOR_ERR_BAD_PAYLOAD: .*'blobs'/);
  });

  it("frames a ReceiveChunk in place with the same bytes as the ordinary encoding once filled", () => {
    for (const size of [0, 1, 300, 70_000]) {
      const data = Uint8Array.from({ length: size }, (_, i) => i & 0xff);
      const meta = { sequenceNo: 2, container: "c", id: "b", totalBytes: 99_999, chunkSize: 70_000, context: size % 2 ? "ctx" : undefined };
      const { payload, bytesAt } = fileChunkFrame(meta, size);
      payload.set(data, bytesAt);
      expect(payload.constructor).toBe(Uint8Array);
      expect(decodeFileChunk(payload)).toEqual(decodeFileChunk(encodeFileChunk({ ...meta, chunkBytes: data })));
    }
  });
});

describe("eventstreams payloads", () => {
  it("use waSCC's field names and round-trip", () => {
    const event = { eventId: "1-0", stream: "s", values: { a: "1", b: "2" } };
    expect(keys(encodeEvent(event))).toEqual(["eventId", "stream", "values"]);
    expect(decodeEvent(encodeEvent(event))).toEqual(event);
    expect(decodeEvent(encode({ stream: "s", values: { a: "1" } })).eventId).toBe("");
    expect(keys(encodeWriteResponse({ eventId: "1-0" }))).toEqual(["eventId"]);
    expect(decodeWriteResponse(encodeWriteResponse({ eventId: "1-0" }))).toEqual({ eventId: "1-0" });
    const query = { streamId: "s", range: { minTime: 5, maxTime: 10 }, count: 42 };
    expect(keys(encodeStreamQuery(query))).toEqual(["streamId", "range", "count"]);
    expect(Object.keys((decodeFirst(encodeStreamQuery(query)) as { range: object }).range)).toEqual(["minTime", "maxTime"]);
    expect(decodeStreamQuery(encodeStreamQuery(query))).toEqual(query);
    expect(decodeStreamQuery(encode({ streamId: "s", range: null, count: 0 }))).toEqual({ streamId: "s", range: undefined, count: 0 });
    expect(keys(encodeStreamResults([event]))).toEqual(["events"]);
    expect(decodeStreamResults(encodeStreamResults([event]))).toEqual([event]);
  });

  it("refuse a missing or mistyped field by name", () => {
    expect(reason(() => decodeEvent(encode({ values: {} })))).toMatch(/^WACTOR_ERR_BAD_PAYLOAD: .*'stream'/);
    expect(reason(() => decodeEvent(encode({ stream: "s", values: { a: 1 } })))).toMatch(/^WACTOR_ERR_BAD_PAYLOAD: .*'values.a'/);
    expect(reason(() => decodeStreamQuery(encode({ count: 1 })))).toMatch(/^WACTOR_ERR_BAD_PAYLOAD: .*'streamId'/);
    expect(reason(() => decodeStreamQuery(encode({ streamId: "s", range: { minTime: 1 } })))).toMatch(/^WACTOR_ERR_BAD_PAYLOAD: .*'maxTime'/);
    expect(reason(() => decodeStreamQuery(encode({ streamId: "s", count: -2 })))).toMatch(/^WACTOR_ERR_BAD_PAYLOAD: .*'count'/);
  });
});
