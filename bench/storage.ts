/**
 * The storage capabilities against the plain Node calls they are built on, in one run:
 * - blob store: an upload through the provider (StartUpload + UploadChunk payloads as an actor
 *   sends them: decode, positional write, fsync and rename at the end) against a plain
 *   fs.createWriteStream of the same chunks fsynced at close; a download (StartDownload, then
 *   every chunk encoded as ReceiveChunk and handed to the host's deliver) against a plain
 *   fs.createReadStream with the same chunk size.
 * - event streams: WriteEvent through the provider against a direct ioredis XADD, both
 *   sequential on one connection.
 * Each measure runs several rounds, interleaved; each keeps its best round (stats.ts bestOf):
 * a 64 MiB transfer takes tens of milliseconds, so one neighbour's burst on a shared machine
 * can halve a single round.
 */
import { createReadStream, createWriteStream, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import { Redis } from "ioredis";
import { pino } from "pino";
import { BlobstoreProvider, EventStreamsProvider } from "../dist/capabilities/mod.js";
import { encodeContainer, encodeEvent, encodeFileChunk, encodeStreamRequest } from "../dist/src/codec/mod.js";
import { startRedis } from "../test/helpers/servers.js";
import { bestOf, fmt, sequentialRate, type Rate } from "./stats.js";
import type { Row } from "./runtime.js";

const BLOB_ROUNDS = 15;
const EVENT_ROUNDS = 20;
const MiB = 1024 * 1024;
const BLOB_BYTES = 64 * MiB;
const CHUNK = MiB;
const actor = { key: "MBENCH", issuer: "ABENCH", caps: ["wascc:blobstore", "wascc:eventstreams"] };

/** One transfer of BLOB_BYTES as a rate (transfers per second, count 1). */
async function timed(work: () => Promise<unknown>): Promise<Rate> {
  const start = performance.now();
  await work();
  return { perSecond: 1000 / (performance.now() - start), count: 1 };
}

const mibPerSecond = (r: Rate): string => `${fmt((r.perSecond * BLOB_BYTES) / MiB)} MiB/s`;

async function blobRows(): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), "wactor-bench-blob-"));
  const plain = join(dir, "plain");
  mkdirSync(plain);
  const chunks = Array.from({ length: BLOB_BYTES / CHUNK }, (_, i) => new Uint8Array(CHUNK).fill(i & 0xff));
  let done: () => void = () => {};
  let delivered = 0;
  const provider = new BlobstoreProvider();
  await provider.start({
    logger: pino({ level: "silent" }),
    deliver: async (_key, _binding, _op, payload) => {
      delivered += payload.length;
      if (delivered >= BLOB_BYTES) done();
      return new Uint8Array();
    },
  });
  await provider.bind(actor, "default", { ROOT: dir, CHUNK_SIZE: String(CHUNK) });
  const call = (operation: string, payload: Uint8Array): Promise<Uint8Array> => provider.handleCall({ actor, binding: "default", operation, payload });
  await call("CreateContainer", encodeContainer({ id: "bench" }));
  // What an actor hands the host: encoded before the clock starts, as the actor's own work.
  const base = { container: "bench", id: "blob", totalBytes: BLOB_BYTES, chunkSize: CHUNK };
  const startPayload = encodeFileChunk({ ...base, sequenceNo: 0, chunkBytes: new Uint8Array() });
  const chunkPayloads = chunks.map((chunkBytes, sequenceNo) => encodeFileChunk({ ...base, sequenceNo, chunkBytes }));
  try {
    const upload = await bestOf(BLOB_ROUNDS, {
      plain: () =>
        timed(async () => {
          const stream = createWriteStream(join(plain, "blob"));
          for (const c of chunks) if (!stream.write(c)) await once(stream, "drain");
          stream.end();
          await once(stream, "finish");
          const handle = await open(join(plain, "blob"), "r+");
          await handle.sync();
          await handle.close();
        }),
      wactor: () =>
        timed(async () => {
          await call("StartUpload", startPayload);
          for (const p of chunkPayloads) await call("UploadChunk", p);
        }),
    });
    const download = await bestOf(BLOB_ROUNDS, {
      plain: () =>
        timed(async () => {
          let bytes = 0;
          for await (const c of createReadStream(join(plain, "blob"), { highWaterMark: CHUNK })) bytes += (c as Buffer).length;
          if (bytes !== BLOB_BYTES) throw new Error(`read ${bytes} bytes`);
        }),
      wactor: () =>
        timed(async () => {
          delivered = 0;
          const all = new Promise<void>((resolve) => (done = resolve));
          await call("StartDownload", encodeStreamRequest({ container: "bench", id: "blob", chunkSize: 0 }));
          await all;
        }),
    });
    return [
      {
        what: `blob upload, ${BLOB_BYTES / MiB} MiB in 1 MiB chunks, fsynced (baseline: fs.createWriteStream + fsync)`,
        baseline: mibPerSecond(upload.plain),
        wactor: mibPerSecond(upload.wactor),
        ratio: fmt(upload.wactor.perSecond / upload.plain.perSecond, 2),
      },
      {
        what: `blob download, ${BLOB_BYTES / MiB} MiB as 1 MiB ReceiveChunk deliveries (baseline: fs.createReadStream)`,
        baseline: mibPerSecond(download.plain),
        wactor: mibPerSecond(download.wactor),
        ratio: fmt(download.wactor.perSecond / download.plain.perSecond, 2),
      },
    ];
  } finally {
    await provider.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function eventRows(count = 1000): Promise<Row[]> {
  const redis = await startRedis();
  const direct = new Redis(redis.url);
  const provider = new EventStreamsProvider();
  try {
    await provider.start({ logger: pino({ level: "silent" }), deliver: async () => new Uint8Array() });
    await provider.bind(actor, "default", { URL: redis.url });
    const payload = encodeEvent({ eventId: "", stream: "bench-wactor", values: { n: "1", kind: "order" } });
    const rates = await bestOf(EVENT_ROUNDS, {
      direct: () => sequentialRate(() => direct.xadd("bench-direct", "*", "n", "1", "kind", "order"), count, 3000),
      wactor: () => sequentialRate(() => provider.handleCall({ actor, binding: "default", operation: "WriteEvent", payload }), count, 3000),
    });
    const perSecond = (r: Rate): string => `${fmt(r.perSecond)}/s`;
    return [
      {
        what: "WriteEvent, sequential (baseline: ioredis XADD of the same values)",
        baseline: perSecond(rates.direct),
        wactor: perSecond(rates.wactor),
        ratio: fmt(rates.wactor.perSecond / rates.direct.perSecond, 2),
      },
    ];
  } finally {
    await provider.stop();
    direct.disconnect();
    await redis.stop();
  }
}

export async function storageBench(): Promise<Row[]> {
  return [...(await blobRows()), ...(await eventRows())];
}
