// The `wascc:blobstore` client (waSCC's blobstore contract): containers, blobs, chunked
// uploads, and downloads delivered back to the actor as `ReceiveChunk` (decode: FileChunk).
import { Reader, Writer } from "./msgpack";
import { hostCall, Result } from "./wapc";

export const BLOBSTORE = "wascc:blobstore";

/** Metadata of a stored blob (GetObjectInfo, ListObjects). */
export class Blob {
  id: string = "";
  container: string = "";
  byteSize: u64 = 0;

  static read(r: Reader): Blob {
    const b = new Blob();
    const n = r.mapHeader();
    for (let i = 0; i < n && r.ok; i++) {
      const key = r.string();
      if (key == "id") b.id = r.string();
      else if (key == "container") b.container = r.string();
      else if (key == "byteSize") b.byteSize = <u64>r.int();
      else r.skip();
    }
    return b;
  }

  static decode(data: ArrayBuffer): Blob {
    return Blob.read(new Reader(Uint8Array.wrap(data)));
  }

  /** The blobs of a ListObjects reply. */
  static decodeList(data: ArrayBuffer): Blob[] {
    const out = new Array<Blob>();
    const r = new Reader(Uint8Array.wrap(data));
    const n = r.mapHeader();
    for (let i = 0; i < n && r.ok; i++) {
      if (r.string() != "blobs") { r.skip(); continue; }
      const count = r.arrayHeader();
      for (let j = 0; j < count && r.ok; j++) out.push(Blob.read(r));
    }
    return out;
  }
}

/** One chunk of a download, as `ReceiveChunk` delivers it; sequenceNo counts from 0. */
export class FileChunk {
  sequenceNo: u64 = 0;
  container: string = "";
  id: string = "";
  totalBytes: u64 = 0;
  chunkSize: u64 = 0;
  context: string = "";
  chunkBytes: Uint8Array = new Uint8Array(0);

  static decode(payload: ArrayBuffer): FileChunk {
    const c = new FileChunk();
    const r = new Reader(Uint8Array.wrap(payload));
    const n = r.mapHeader();
    for (let i = 0; i < n && r.ok; i++) {
      const key = r.string();
      if (key == "sequenceNo") c.sequenceNo = <u64>r.int();
      else if (key == "container") c.container = r.string();
      else if (key == "id") c.id = r.string();
      else if (key == "totalBytes") c.totalBytes = <u64>r.int();
      else if (key == "chunkSize") c.chunkSize = <u64>r.int();
      else if (key == "context") c.context = r.string(); // nil reads as ""
      else if (key == "chunkBytes") c.chunkBytes = r.bytes();
      else r.skip();
    }
    return c;
  }
}

function chunkPayload(container: string, id: string, sequenceNo: u64, totalBytes: u64, chunkSize: u64, context: string, bytes: Uint8Array): ArrayBuffer {
  // `context` is sent only when given, as waSCC's codec leaves out an absent one.
  const w = new Writer().mapHeader(context.length > 0 ? 7 : 6);
  w.string("sequenceNo").int(<i64>sequenceNo);
  w.string("container").string(container);
  w.string("id").string(id);
  w.string("totalBytes").int(<i64>totalBytes);
  w.string("chunkSize").int(<i64>chunkSize);
  if (context.length > 0) w.string("context").string(context);
  w.string("chunkBytes").bin(bytes);
  return w.toBuffer();
}

export class BlobStore {
  constructor(public binding: string = "") {}

  private container(operation: string, id: string): Result {
    const w = new Writer().mapHeader(1);
    w.string("id").string(id);
    return hostCall(this.binding, BLOBSTORE, operation, w.toBuffer());
  }

  private blob(operation: string, container: string, id: string): Result {
    const w = new Writer().mapHeader(3);
    w.string("id").string(id);
    w.string("container").string(container);
    w.string("byteSize").int(0);
    return hostCall(this.binding, BLOBSTORE, operation, w.toBuffer());
  }

  /** Creates the container (an existing one is kept). */
  createContainer(id: string): Result {
    return this.container("CreateContainer", id);
  }

  /** Removes an empty container. */
  removeContainer(id: string): Result {
    return this.container("RemoveContainer", id);
  }

  /** The reply decodes with Blob.decodeList. */
  listObjects(container: string): Result {
    return this.container("ListObjects", container);
  }

  /** The reply decodes with Blob.decode. */
  getObjectInfo(container: string, id: string): Result {
    return this.blob("GetObjectInfo", container, id);
  }

  removeObject(container: string, id: string): Result {
    return this.blob("RemoveObject", container, id);
  }

  /** Announces an upload of `totalBytes` in chunks of `chunkSize`; the blob appears with its last chunk. */
  startUpload(container: string, id: string, totalBytes: u64, chunkSize: u64, context: string = ""): Result {
    return hostCall(this.binding, BLOBSTORE, "StartUpload", chunkPayload(container, id, 0, totalBytes, chunkSize, context, new Uint8Array(0)));
  }

  /** Chunk `sequenceNo` (from 0) of an upload; every chunk but the last holds `chunkSize` bytes. */
  uploadChunk(container: string, id: string, sequenceNo: u64, totalBytes: u64, chunkSize: u64, bytes: Uint8Array, context: string = ""): Result {
    return hostCall(this.binding, BLOBSTORE, "UploadChunk", chunkPayload(container, id, sequenceNo, totalBytes, chunkSize, context, bytes));
  }

  /** Answers at once; the chunks then arrive as `ReceiveChunk` calls, in order. chunkSize 0: the binding's. */
  startDownload(container: string, id: string, chunkSize: u64 = 0, context: string = ""): Result {
    const w = new Writer().mapHeader(context.length > 0 ? 4 : 3);
    w.string("id").string(id);
    w.string("container").string(container);
    w.string("chunkSize").int(<i64>chunkSize);
    if (context.length > 0) w.string("context").string(context);
    return hostCall(this.binding, BLOBSTORE, "StartDownload", w.toBuffer());
  }
}
