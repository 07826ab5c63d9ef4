/**
 * `wascc:blobstore` on a directory of the host: containers are folders directly under the
 * binding's ROOT, blobs are regular files in them.
 *
 * Binding values:
 * - `ROOT` (required): absolute path of an existing directory; one root per binding.
 * - `MAX_BYTES` (default 1 GiB): the largest blob StartUpload accepts.
 * - `CHUNK_SIZE` (default 1 MiB): the size of the `ReceiveChunk` chunks of a download whose
 *   StreamRequest asks for 0, and the most any chunk holds.
 *
 * Paths are confined to the root (paths.ts), uploads are staged and renamed atomically
 * (uploads.ts), downloads are delivered in order through the host (downloads.ts).
 * docs/blobstore.md gives the contract.
 */
import { existsSync } from "node:fs";
import { lstat, open, rm, rmdir } from "node:fs/promises";
import {
  BLOBSTORE_OPERATIONS,
  CAP_BLOBSTORE,
  EMPTY_REPLY,
  OP_RECEIVE_CHUNK,
  decodeBlob,
  decodeContainer,
  decodeFileChunk,
  decodeStreamRequest,
  encodeBlob,
  encodeBlobList,
  encodeContainer,
  type BlobstoreOperation,
} from "../../src/codec/mod.js";
import { WactorError } from "../../src/errors.js";
import type { ActorIdentity, BindingStatus, CapabilityProvider, ProviderCall, ProviderContext } from "../../src/provider/contract.js";
import { ATTR, SPAN } from "../../src/tracing/names.js";
import { bindingFor, bindingKey, integerValue, reasonOf, requireContext, unknownOperation } from "../shared.js";
import { streamBlob } from "./downloads.js";
import { BlobRoot, READ_NO_FOLLOW, STAGING_DIR, checkId } from "./paths.js";
import { Upload } from "./uploads.js";

export const DEFAULT_MAX_BYTES = 1024 * 1024 * 1024;
export const DEFAULT_CHUNK_SIZE = 1024 * 1024;
const MAX_CHUNK_SIZE = 16 * 1024 * 1024; // a chunk is one MessagePack payload

export interface BlobstoreProviderOptions {
  name?: string;
  /** An upload with no chunk for this long is dropped (its staged bytes removed). Default 10 min. */
  uploadIdleMs?: number;
  /** Staged files older than this are removed at bind: uploads of a host that died. Default 1 h. */
  stagingMaxAgeMs?: number;
}

interface BlobBinding {
  actorKey: string;
  binding: string;
  root: BlobRoot;
  maxBytes: number;
  chunkSize: number;
  /** By container, id and the uploader's context: uploads of one id stay apart. */
  uploads: Map<string, Upload>;
  downloads: Set<Promise<void>>;
  aborted: AbortController;
}

/** A file system error (ENOSPC, EACCES, EIO, …) is the directory's, not a bug: WACTOR_ERR_BLOB_IO. */
function ioFailure(op: string, err: unknown): unknown {
  const errno = (err as NodeJS.ErrnoException | null)?.code;
  if (err instanceof WactorError || typeof errno !== "string") return err;
  return new WactorError("WACTOR_ERR_BLOB_IO", `${op}: ${reasonOf(err)}`, { cause: err });
}

const isOperation = (op: string): op is BlobstoreOperation => (BLOBSTORE_OPERATIONS as readonly string[]).includes(op);
const uploadKey = (container: string, id: string, context: string | undefined): string => `${container}\u0000${id}\u0000${context ?? ""}`;

export class BlobstoreProvider implements CapabilityProvider {
  readonly capabilityId = CAP_BLOBSTORE;
  readonly name: string;
  readonly #options: BlobstoreProviderOptions;
  readonly #bindings = new Map<string, BlobBinding>();
  #context: ProviderContext | undefined;
  #sweep: NodeJS.Timeout | undefined;

  constructor(options: BlobstoreProviderOptions = {}) {
    this.name = options.name ?? "blobstore";
    this.#options = options;
  }

  async start(context: ProviderContext): Promise<void> {
    this.#context = context;
    const idleMs = this.#options.uploadIdleMs ?? 600_000;
    this.#sweep = setInterval(() => void this.#dropIdleUploads(idleMs), Math.min(idleMs, 30_000)).unref();
  }

  /** Downloads stop after the chunk in flight, which the actor answers first. */
  async quiesce(): Promise<void> {
    for (const b of this.#bindings.values()) b.aborted.abort();
    await Promise.all([...this.#bindings.values()].flatMap((b) => [...b.downloads]));
  }

  async stop(): Promise<void> {
    clearInterval(this.#sweep);
    const bindings = [...this.#bindings.values()];
    this.#bindings.clear();
    await Promise.all(bindings.map((b) => this.#release(b)));
  }

  async bind(actor: ActorIdentity, binding: string, values: Readonly<Record<string, string>>): Promise<void> {
    requireContext(this.#context, this.capabilityId);
    const rootValue = values.ROOT?.trim();
    if (!rootValue)
      throw new WactorError("WACTOR_ERR_BINDING_INVALID", "ROOT is required: the absolute path of the directory that holds this binding's containers");
    const maxBytes = integerValue(values, "MAX_BYTES", DEFAULT_MAX_BYTES, Number.MAX_SAFE_INTEGER);
    const chunkSize = integerValue(values, "CHUNK_SIZE", DEFAULT_CHUNK_SIZE, MAX_CHUNK_SIZE);
    if (chunkSize === 0) throw new WactorError("WACTOR_ERR_BINDING_INVALID", "CHUNK_SIZE must be > 0");
    const root = await BlobRoot.open(rootValue);
    await root.sweepStaging(this.#options.stagingMaxAgeMs ?? 3_600_000);
    const key = bindingKey(actor.key, binding);
    const previous = this.#bindings.get(key);
    this.#bindings.set(key, {
      actorKey: actor.key,
      binding,
      root,
      maxBytes,
      chunkSize,
      uploads: new Map(),
      downloads: new Set(),
      aborted: new AbortController(),
    });
    if (previous) await this.#release(previous);
  }

  async unbind(actorKey: string, binding: string): Promise<void> {
    const key = bindingKey(actorKey, binding);
    const state = this.#bindings.get(key);
    this.#bindings.delete(key);
    if (state) await this.#release(state);
  }

  bindingStatus(actorKey: string, binding: string): BindingStatus | undefined {
    const state = this.#bindings.get(bindingKey(actorKey, binding));
    if (!state) return undefined;
    // A root removed or unmounted after bind fails every call: say so where bindings are shown.
    return existsSync(state.root.staging) ? { state: "ok" } : { state: "failed", reason: `ROOT ${state.root.path} (or its ${STAGING_DIR} folder) is gone` };
  }

  async handleCall(call: ProviderCall): Promise<Uint8Array> {
    const op = call.operation;
    if (!isOperation(op)) throw unknownOperation(this.capabilityId, op);
    const state = bindingFor(this.#bindings, this.capabilityId, call);
    const run = (): Promise<Uint8Array> =>
      this.#dispatch(op, state, call.payload).catch((err: unknown) => {
        throw ioFailure(op, err);
      });
    const tracing = this.#context?.tracing;
    if (!tracing) return run();
    return tracing.traced(SPAN.blobstore(op), "client", { [ATTR.capability]: this.capabilityId, [ATTR.binding]: call.binding }, run);
  }

  async #dispatch(op: BlobstoreOperation, b: BlobBinding, payload: Uint8Array): Promise<Uint8Array> {
    switch (op) {
      case "CreateContainer": {
        const container = decodeContainer(payload, "CreateContainer");
        await b.root.createContainer(container.id);
        return encodeContainer(container);
      }
      case "RemoveContainer": {
        const { id } = decodeContainer(payload, "RemoveContainer");
        try {
          await rmdir(await b.root.container(id));
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === "ENOTEMPTY")
            throw new WactorError("WACTOR_ERR_CONTAINER_NOT_EMPTY", `container ${JSON.stringify(id)} holds blobs`);
          throw err;
        }
        return EMPTY_REPLY;
      }
      case "ListObjects": {
        const container = decodeContainer(payload, "ListObjects").id;
        return encodeBlobList((await b.root.list(container)).map((x) => ({ ...x, container })));
      }
      case "GetObjectInfo": {
        const blob = decodeBlob(payload, "GetObjectInfo");
        const { info } = await b.root.blob(blob.container, blob.id);
        return encodeBlob({ id: blob.id, container: blob.container, byteSize: info.size });
      }
      case "RemoveObject": {
        const blob = decodeBlob(payload, "RemoveObject");
        await rm((await b.root.blob(blob.container, blob.id)).file);
        return EMPTY_REPLY;
      }
      case "StartUpload":
        await this.#startUpload(b, payload);
        return EMPTY_REPLY;
      case "UploadChunk":
        await this.#uploadChunk(b, payload);
        return EMPTY_REPLY;
      case "StartDownload":
        await this.#startDownload(b, payload);
        return EMPTY_REPLY;
    }
  }

  async #startUpload(b: BlobBinding, payload: Uint8Array): Promise<void> {
    const start = decodeFileChunk(payload, "StartUpload");
    const target = await b.root.blobPath(start.container, start.id);
    // A folder of that name would fail the final rename: refuse it now. A link is replaced, never followed.
    if ((await lstat(target).catch(() => undefined))?.isDirectory()) {
      throw new WactorError("WACTOR_ERR_BLOB_PATH", `blob ${JSON.stringify(start.id)} in ${JSON.stringify(start.container)} is a folder, not a blob`);
    }
    if (start.totalBytes > b.maxBytes) {
      throw new WactorError(
        "WACTOR_ERR_BLOB_TOO_LARGE",
        `blob ${JSON.stringify(start.id)} of ${start.totalBytes} bytes; this binding's MAX_BYTES is ${b.maxBytes}`,
      );
    }
    const key = uploadKey(start.container, start.id, start.context);
    const upload = await Upload.begin(b.root, start);
    // Starting again replaces an unfinished upload of the same blob and context.
    const previous = b.uploads.get(key);
    b.uploads.set(key, upload);
    await previous?.abort();
    if (upload.complete) {
      b.uploads.delete(key); // an empty blob has no chunk to wait for
      await upload.finish();
    }
  }

  async #uploadChunk(b: BlobBinding, payload: Uint8Array): Promise<void> {
    const chunk = decodeFileChunk(payload, "UploadChunk");
    const key = uploadKey(chunk.container, chunk.id, chunk.context);
    const upload = b.uploads.get(key);
    if (!upload) {
      checkId("container", chunk.container);
      checkId("blob", chunk.id);
      throw new WactorError(
        "WACTOR_ERR_UPLOAD_STATE",
        `no upload of ${JSON.stringify(chunk.id)} in ${JSON.stringify(chunk.container)} (context ${JSON.stringify(chunk.context ?? "")}) is in progress`,
      );
    }
    try {
      if (await upload.write(chunk)) b.uploads.delete(key);
    } catch (err) {
      // A chunk that does not fit is the actor's mistake: the upload stays open for a correct one.
      if (err instanceof WactorError && (err.code === "WACTOR_ERR_BAD_PAYLOAD" || err.code === "WACTOR_ERR_UPLOAD_STATE")) throw err;
      if (b.uploads.get(key) === upload) b.uploads.delete(key);
      await upload.abort();
      throw err;
    }
  }

  async #startDownload(b: BlobBinding, payload: Uint8Array): Promise<void> {
    const context = requireContext(this.#context, this.capabilityId);
    const request = decodeStreamRequest(payload);
    const { file } = await b.root.blob(request.container, request.id);
    const handle = await open(file, READ_NO_FOLLOW);
    const size = (await handle.stat()).size;
    const chunkSize = request.chunkSize === 0 ? b.chunkSize : Math.min(request.chunkSize, b.chunkSize);
    const tracing = context.tracing;
    const attributes = { [ATTR.actorKey]: b.actorKey, [ATTR.blobContainer]: request.container, [ATTR.blobId]: request.id };
    const deliver = (chunk: Uint8Array): Promise<Uint8Array> => {
      const send = (): Promise<Uint8Array> => context.deliver(b.actorKey, b.binding, OP_RECEIVE_CHUNK, chunk);
      return tracing ? tracing.traced(SPAN.blobstoreDeliver, "producer", attributes, send) : send();
    };
    // Runs after StartDownload answers: the actor receives the chunks as calls of its own.
    const download = Promise.resolve()
      .then(() => streamBlob({ handle, size, chunkSize, request, deliver, signal: b.aborted.signal }))
      .catch((err: unknown) => {
        context.logger.warn(
          { actor: b.actorKey, binding: b.binding, container: request.container, blob: request.id, err: reasonOf(err) },
          "download stopped: ReceiveChunk failed",
        );
      })
      .finally(() => b.downloads.delete(download));
    b.downloads.add(download);
  }

  async #release(b: BlobBinding): Promise<void> {
    b.aborted.abort();
    const uploads = [...b.uploads.values()];
    b.uploads.clear();
    await Promise.all(uploads.map((u) => u.abort()));
    await Promise.all([...b.downloads]);
  }

  async #dropIdleUploads(idleMs: number): Promise<void> {
    const now = Date.now();
    for (const b of this.#bindings.values()) {
      for (const [key, upload] of b.uploads) {
        if (now - upload.lastTouched < idleMs) continue;
        b.uploads.delete(key);
        await upload.abort();
        this.#context?.logger.warn(
          { actor: b.actorKey, binding: b.binding, container: upload.start.container, blob: upload.start.id },
          "upload abandoned: no chunk for too long; its staged bytes were removed",
        );
      }
    }
  }
}
