/**
 * `wascc:blobstore` payloads, as waSCC's codec names them (camelCase MessagePack maps):
 * Container, ContainerList, Blob, BlobList, FileChunk, StreamRequest. Decoding is strict:
 * a missing or mistyped field is WACTOR_ERR_BAD_PAYLOAD naming it.
 */
import { WactorError } from "../errors.js";
import { asMap, bytes, int, str, type WireMap } from "./fields.js";
import { decodeFirst, encode } from "./msgpack.js";

export interface Container {
  id: string;
}

export interface Blob {
  id: string;
  container: string;
  byteSize: number;
}

/** One piece of a blob; StartUpload sends one without bytes to announce the upload. */
export interface FileChunk {
  /** 0 for the first chunk of the blob, counting up by one. */
  sequenceNo: number;
  container: string;
  id: string;
  totalBytes: number;
  chunkSize: number;
  /** The requester's correlation value, echoed on every chunk of a download. */
  context?: string | undefined;
  chunkBytes: Uint8Array;
}

export interface StreamRequest {
  id: string;
  container: string;
  /** Preferred chunk size; 0 lets the provider choose (its CHUNK_SIZE). */
  chunkSize: number;
  context?: string | undefined;
}

const read = (payload: Uint8Array, what: string): WireMap => asMap(decodeFirst(payload, what), what);

/** Sizes and sequence numbers are u64 in waSCC: a negative one is no size. */
function size(m: WireMap, field: string, what: string, fallback?: number): number {
  const n = int(m, field, what, fallback);
  if (n < 0 || !Number.isSafeInteger(n)) throw new WactorError("WACTOR_ERR_BAD_PAYLOAD", `${what}: field '${field}' must be a non-negative integer, got ${n}`);
  return n;
}

function optionalString(m: WireMap, field: string, what: string): string | undefined {
  return m[field] === undefined || m[field] === null ? undefined : str(m, field, what);
}

export function decodeContainer(payload: Uint8Array, what = "Container"): Container {
  return { id: str(read(payload, what), "id", what) };
}
export const encodeContainer = (c: Container): Uint8Array => encode({ id: c.id });

export function decodeBlob(payload: Uint8Array, what = "Blob"): Blob {
  const m = read(payload, what);
  return { id: str(m, "id", what), container: str(m, "container", what), byteSize: size(m, "byteSize", what, 0) };
}
export const encodeBlob = (b: Blob): Uint8Array => encode({ id: b.id, container: b.container, byteSize: b.byteSize });

export function decodeBlobList(payload: Uint8Array): Blob[] {
  const what = "BlobList";
  const m = read(payload, what);
  const blobs = m.blobs ?? [];
  if (!Array.isArray(blobs)) throw new WactorError("WACTOR_ERR_BAD_PAYLOAD", `${what}: field 'blobs' must be a list`);
  return blobs.map((b, i) => {
    const item = asMap(b, `${what}.blobs[${i}]`);
    return { id: str(item, "id", what), container: str(item, "container", what), byteSize: size(item, "byteSize", what, 0) };
  });
}
export const encodeBlobList = (blobs: readonly Blob[]): Uint8Array =>
  encode({ blobs: blobs.map((b) => ({ id: b.id, container: b.container, byteSize: b.byteSize })) });

export function decodeContainerList(payload: Uint8Array): Container[] {
  const what = "ContainerList";
  const list = read(payload, what).containers ?? [];
  if (!Array.isArray(list)) throw new WactorError("WACTOR_ERR_BAD_PAYLOAD", `${what}: field 'containers' must be a list`);
  return list.map((c, i) => ({ id: str(asMap(c, `${what}.containers[${i}]`), "id", what) }));
}
export const encodeContainerList = (containers: readonly Container[]): Uint8Array => encode({ containers: containers.map((c) => ({ id: c.id })) });

export function decodeFileChunk(payload: Uint8Array, what = "FileChunk"): FileChunk {
  const m = read(payload, what);
  return {
    sequenceNo: size(m, "sequenceNo", what, 0),
    container: str(m, "container", what),
    id: str(m, "id", what),
    totalBytes: size(m, "totalBytes", what, 0),
    chunkSize: size(m, "chunkSize", what, 0),
    context: optionalString(m, "context", what),
    chunkBytes: bytes(m, "chunkBytes", what),
  };
}

// `context` is left out when absent, as waSCC's codec does (skip_serializing_if none).
export const encodeFileChunk = (c: FileChunk): Uint8Array =>
  encode({
    sequenceNo: c.sequenceNo,
    container: c.container,
    id: c.id,
    totalBytes: c.totalBytes,
    chunkSize: c.chunkSize,
    ...(c.context !== undefined && { context: c.context }),
    chunkBytes: c.chunkBytes,
  });

/**
 * A FileChunk payload whose `chunkBytes` (`length` bytes, uninitialized) the caller fills in
 * place at `payload.subarray(bytesAt)`: a download reads the file straight into the payload it
 * delivers, with no copy. The same bytes as encodeFileChunk once filled (a bin 32 header).
 */
export function fileChunkFrame(meta: Omit<FileChunk, "chunkBytes">, length: number): { payload: Uint8Array; bytesAt: number } {
  const head = encodeFileChunk({ ...meta, chunkBytes: new Uint8Array() });
  // chunkBytes is encoded last; its empty value is `c4 00` (bin 8, length 0): replace it.
  const prefix = head.length - 2;
  // Its own memory, never zero-filled (every byte is written), never the shared Buffer pool:
  // a payload may be transferred to another thread. Handed out as a plain Uint8Array.
  const memory = Buffer.allocUnsafeSlow(prefix + 5 + length);
  const payload = new Uint8Array(memory.buffer, memory.byteOffset, memory.length);
  payload.set(head.subarray(0, prefix));
  payload[prefix] = 0xc6; // bin 32
  new DataView(memory.buffer, memory.byteOffset).setUint32(prefix + 1, length);
  return { payload, bytesAt: prefix + 5 };
}

export function decodeStreamRequest(payload: Uint8Array): StreamRequest {
  const what = "StreamRequest";
  const m = read(payload, what);
  return {
    id: str(m, "id", what),
    container: str(m, "container", what),
    chunkSize: size(m, "chunkSize", what, 0),
    context: optionalString(m, "context", what),
  };
}
export const encodeStreamRequest = (r: StreamRequest): Uint8Array =>
  encode({ id: r.id, container: r.container, chunkSize: r.chunkSize, ...(r.context !== undefined && { context: r.context }) });
