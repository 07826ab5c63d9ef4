// Blob store example: uploads a generated blob in chunks and checks a download of it chunk
// by chunk. Byte i of a blob made with seed s is (i * 31 + s) & 0xff, so both sides know it.
//   Upload   {container, id, size, chunkSize, seed}  -> {} once the last chunk is stored
//   Download {container, id, chunkSize, seed}        -> {} at once; ReceiveChunk calls follow
//   Status   -> {chunks, bytes, totalBytes, inOrder, intact}: what the download delivered so far
//   Info     {container, id} -> the GetObjectInfo reply
//   List     {container} -> {ids, sizes}: ListObjects, as the SDK decodes it
//   Remove   {container, id} -> {}: RemoveObject, then RemoveContainer
// Run it with one instance: the download's progress lives in the instance.
import { Blob, BlobStore, FileChunk, Reader, register, Result, Writer } from "../sdk";
export { __guest_call } from "../sdk";

class Args {
  container: string = "";
  id: string = "";
  size: i64 = 0;
  chunkSize: i64 = 0;
  seed: i64 = 0;
}

function args(payload: ArrayBuffer): Args {
  const a = new Args();
  const r = new Reader(Uint8Array.wrap(payload));
  const n = r.mapHeader();
  for (let i = 0; i < n && r.ok; i++) {
    const key = r.string();
    if (key == "container") a.container = r.string();
    else if (key == "id") a.id = r.string();
    else if (key == "size") a.size = r.int();
    else if (key == "chunkSize") a.chunkSize = r.int();
    else if (key == "seed") a.seed = r.int();
    else r.skip();
  }
  return a;
}

const empty = (): Result => Result.success(new Writer().mapHeader(0).toBuffer());
const byteAt = (i: i64, seed: i64): u8 => <u8>((i * 31 + seed) & 0xff);

register("Upload", (payload: ArrayBuffer): Result => {
  const a = args(payload);
  const store = new BlobStore();
  const created = store.createContainer(a.container);
  if (!created.ok) return Result.failure(created.error);
  const started = store.startUpload(a.container, a.id, <u64>a.size, <u64>a.chunkSize);
  if (!started.ok) return Result.failure(started.error);
  const chunk = new Uint8Array(<i32>a.chunkSize);
  for (let seq: i64 = 0; seq * a.chunkSize < a.size; seq++) {
    const offset = seq * a.chunkSize;
    const length = <i32>(a.size - offset < a.chunkSize ? a.size - offset : a.chunkSize);
    for (let i = 0; i < length; i++) chunk[i] = byteAt(offset + i, a.seed);
    const sent = store.uploadChunk(a.container, a.id, <u64>seq, <u64>a.size, <u64>a.chunkSize, chunk.subarray(0, length));
    if (!sent.ok) return Result.failure(sent.error);
  }
  return empty();
});

let chunks: i64 = 0;
let bytes: i64 = 0;
let totalBytes: i64 = -1;
let inOrder = true;
let intact = true;
let downloadSeed: i64 = 0;

register("Download", (payload: ArrayBuffer): Result => {
  const a = args(payload);
  chunks = 0;
  bytes = 0;
  totalBytes = -1;
  inOrder = true;
  intact = true;
  downloadSeed = a.seed;
  const started = new BlobStore().startDownload(a.container, a.id, <u64>a.chunkSize, "blobber");
  return started.ok ? empty() : Result.failure(started.error);
});

register("ReceiveChunk", (payload: ArrayBuffer): Result => {
  const c = FileChunk.decode(payload);
  if (<i64>c.sequenceNo != chunks || c.context != "blobber") inOrder = false;
  const offset = <i64>c.sequenceNo * <i64>c.chunkSize;
  for (let i = 0; i < c.chunkBytes.length; i++) {
    if (c.chunkBytes[i] != byteAt(offset + i, downloadSeed)) { intact = false; break; }
  }
  chunks++;
  bytes += c.chunkBytes.length;
  totalBytes = <i64>c.totalBytes;
  return empty();
});

register("Status", (_payload: ArrayBuffer): Result => {
  const w = new Writer().mapHeader(5);
  w.string("chunks").int(chunks);
  w.string("bytes").int(bytes);
  w.string("totalBytes").int(totalBytes);
  w.string("inOrder").bool(inOrder);
  w.string("intact").bool(intact);
  return Result.success(w.toBuffer());
});

register("Info", (payload: ArrayBuffer): Result => {
  const a = args(payload);
  return new BlobStore().getObjectInfo(a.container, a.id);
});

register("List", (payload: ArrayBuffer): Result => {
  const listed = new BlobStore().listObjects(args(payload).container);
  if (!listed.ok) return Result.failure(listed.error);
  const blobs = Blob.decodeList(listed.data);
  const w = new Writer().mapHeader(2);
  w.string("ids").arrayHeader(blobs.length);
  for (let i = 0; i < blobs.length; i++) w.string(blobs[i].id);
  w.string("sizes").arrayHeader(blobs.length);
  for (let i = 0; i < blobs.length; i++) w.int(<i64>blobs[i].byteSize);
  return Result.success(w.toBuffer());
});

register("Remove", (payload: ArrayBuffer): Result => {
  const a = args(payload);
  const store = new BlobStore();
  const removed = store.removeObject(a.container, a.id);
  if (!removed.ok) return Result.failure(removed.error);
  const gone = store.removeContainer(a.container);
  return gone.ok ? empty() : Result.failure(gone.error);
});
