/**
 * One download: the blob's chunks delivered to the actor as `ReceiveChunk`, in order, each
 * only after the actor answered the one before. The file is opened (O_NOFOLLOW) before
 * StartDownload answers, so the actor gets a missing blob as that call's error, and the
 * download reads that open file: a blob replaced meanwhile is delivered as it was at the start.
 */
import type { FileHandle } from "node:fs/promises";
import { fileChunkFrame, type StreamRequest } from "../../src/codec/mod.js";

export interface DownloadTarget {
  handle: FileHandle;
  size: number;
  chunkSize: number;
  request: StreamRequest;
  deliver(payload: Uint8Array): Promise<unknown>;
  signal: AbortSignal;
}

/** Delivers every chunk (one empty chunk for an empty blob) and closes the file. */
export async function streamBlob(t: DownloadTarget): Promise<void> {
  const { handle, size, chunkSize, request } = t;
  const chunks = size === 0 ? 1 : Math.ceil(size / chunkSize);
  // Each chunk is read straight into the payload that carries it.
  const readChunk = async (seq: number): Promise<Uint8Array> => {
    const offset = seq * chunkSize;
    const length = Math.min(chunkSize, size - offset);
    const meta = { sequenceNo: seq, container: request.container, id: request.id, totalBytes: size, chunkSize, context: request.context };
    const { payload, bytesAt } = fileChunkFrame(meta, length);
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await handle.read(payload, bytesAt + filled, length - filled, offset + filled);
      if (bytesRead === 0) throw new Error(`blob shrank to ${offset + filled} bytes while it was downloaded`);
      filled += bytesRead;
    }
    return payload;
  };
  try {
    let next = readChunk(0);
    for (let seq = 0; seq < chunks; seq++) {
      const payload = await next;
      // The next chunk is read from disk while the actor takes this one.
      if (seq + 1 < chunks) {
        next = readChunk(seq + 1);
        next.catch(() => {}); // awaited next round; not unhandled if this delivery fails first
      }
      if (t.signal.aborted) return;
      await t.deliver(payload);
    }
  } finally {
    await handle.close().catch(() => {});
  }
}
