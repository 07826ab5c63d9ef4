/**
 * Uploads in progress. Each upload writes to its own file in the root's staging folder, each
 * chunk at its place (sequenceNo x chunkSize), so chunks may arrive in any order and a repeated
 * chunk is written again, not counted twice. When the last missing chunk arrives the file is
 * fsynced and renamed onto the blob: a blob is either absent, the previous one, or complete.
 */
import { randomUUID } from "node:crypto";
import { open, rename, rm, type FileHandle } from "node:fs/promises";
import { dirname, join } from "node:path";
import { WactorError } from "../../src/errors.js";
import type { FileChunk } from "../../src/codec/mod.js";
import type { BlobRoot } from "./paths.js";

export class Upload {
  readonly #root: BlobRoot;
  readonly #temp: string;
  readonly #handle: FileHandle;
  readonly #received = new Set<number>();
  readonly #chunks: number;
  #state: "open" | "finishing" | "done" | "aborted" = "open";
  lastTouched = Date.now();

  private constructor(
    root: BlobRoot,
    temp: string,
    handle: FileHandle,
    readonly start: FileChunk,
  ) {
    this.#root = root;
    this.#temp = temp;
    this.#handle = handle;
    this.#chunks = start.totalBytes === 0 ? 0 : Math.ceil(start.totalBytes / start.chunkSize);
  }

  /** Opens the staging file; `start` is StartUpload's FileChunk (ids already checked). */
  static async begin(root: BlobRoot, start: FileChunk): Promise<Upload> {
    if (start.totalBytes > 0 && start.chunkSize === 0)
      throw new WactorError("WACTOR_ERR_BAD_PAYLOAD", "StartUpload: field 'chunkSize' must be > 0 for a blob of totalBytes > 0");
    const temp = join(root.staging, `${randomUUID()}.part`);
    const handle = await open(temp, "wx", 0o600);
    return new Upload(root, temp, handle, start);
  }

  get complete(): boolean {
    return this.#received.size === this.#chunks;
  }

  /** Writes one chunk; resolves true once it was the last one and the blob is in place. */
  async write(chunk: FileChunk): Promise<boolean> {
    if (this.#state !== "open") throw new WactorError("WACTOR_ERR_UPLOAD_STATE", `upload of ${JSON.stringify(chunk.id)} already ${this.#state}`);
    this.lastTouched = Date.now();
    const { totalBytes, chunkSize } = this.start;
    const index = chunk.sequenceNo;
    if (index >= this.#chunks) {
      throw new WactorError("WACTOR_ERR_UPLOAD_STATE", `chunk ${index} lies beyond the ${totalBytes} bytes announced (${this.#chunks} chunks of ${chunkSize})`);
    }
    const offset = index * chunkSize;
    const expected = Math.min(chunkSize, totalBytes - offset);
    if (chunk.chunkBytes.length !== expected) {
      throw new WactorError(
        "WACTOR_ERR_BAD_PAYLOAD",
        `UploadChunk: field 'chunkBytes' of chunk ${index} must hold ${expected} bytes, got ${chunk.chunkBytes.length}`,
      );
    }
    await this.#handle.write(chunk.chunkBytes, 0, expected, offset);
    // Counted only once written: the chunk that completes the set finds every other write done.
    this.#received.add(index);
    if (!this.complete || this.#state !== "open") return false;
    await this.finish();
    return true;
  }

  /** Makes the staged file the blob: fsync, rename (atomic within the root), fsync the folder. */
  async finish(): Promise<void> {
    this.#state = "finishing";
    try {
      await this.#handle.sync();
      await this.#handle.close();
      // The container is looked up again: it may have gone (or become a link) meanwhile.
      const target = await this.#root.blobPath(this.start.container, this.start.id);
      await rename(this.#temp, target);
      await syncDir(dirname(target));
      this.#state = "done";
    } catch (err) {
      this.#state = "aborted";
      await rm(this.#temp, { force: true });
      throw err;
    }
  }

  /** Drops the staged bytes; the blob, if any, stays as it was. */
  async abort(): Promise<void> {
    if (this.#state !== "open") return; // a finishing upload completes; a done one is the blob
    this.#state = "aborted";
    await this.#handle.close().catch(() => {});
    await rm(this.#temp, { force: true });
  }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
