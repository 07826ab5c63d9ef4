/**
 * One download: the blob's chunks delivered to the actor as `ReceiveChunk`, in order, each
 * only after the actor answered the one before. The file is opened (O_NOFOLLOW) before
 * StartDownload answers, so the actor gets a missing blob as that call's error, and the
 * download reads that open file: a blob replaced meanwhile is delivered as it was at the start.
 */
import type { FileHandle } from "node:fs/promises";
import { encodeFileChunk, type StreamRequest } from "../../src/codec/mod.js";

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
  // Two buffers: the next chunk is read from disk while the actor takes the current one.
  const buffers = [Buffer.allocUnsafe(Math.min(chunkSize, size)), Buffer.allocUnsafe(Math.min(chunkSize, size))];
  const readChunk = async (seq: number): Promise<Uint8Array> => {
    const offset = seq * chunkSize;
    const length = Math.min(chunkSize, size - offset);
    const buffer = buffers[seq % 2]!;
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await handle.read(buffer, filled, length - filled, offset + filled);
      if (bytesRead === 0) break; // truncated under us: deliver what is there
      filled += bytesRead;
    }
    return buffer.subarray(0, filled);
  };
  try {
    let next = readChunk(0);
    for (let seq = 0; seq < chunks; seq++) {
      const bytes = await next;
      // The encoder copies the bytes, so the buffer may be refilled once this chunk is encoded.
      const payload = encodeFileChunk({ sequenceNo: seq, container: request.container, id: request.id, totalBytes: size, chunkSize, context: request.context, chunkBytes: bytes });
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
