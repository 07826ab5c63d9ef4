/**
 * Spans of the storage providers, like the others': blob store operations and each
 * ReceiveChunk of a download (the actor's invocation under it), event writes as Redis client
 * spans, and each DeliverEvent as a consumer span with the actor's work under it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BlobstoreProvider, EventStreamsProvider, KeyValueProvider } from "../capabilities/mod.js";
import { encode } from "../src/codec/mod.js";
import { Host } from "../src/host/host.js";
import { startTracing, type Tracing } from "../src/tracing/mod.js";
import { actor } from "./helpers/actors.js";
import { eventually } from "./helpers/eventually.js";
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from "./helpers/otlp-receiver.js";
import { startRedis, type ServerHandle } from "./helpers/servers.js";
import { only } from "./helpers/trace-ids.js";

describe("tracing of the blob store and event streams", () => {
  let redis: ServerHandle;
  let receiver: OtlpReceiver;
  let tracing: Tracing;
  let host: Host;
  let root: string;
  const [blobber, writer, reader] = [actor("blobber"), actor("eventwriter"), actor("eventreader")];

  beforeAll(async () => {
    [redis, receiver] = await Promise.all([startRedis(), startOtlpReceiver()]);
    root = mkdtempSync(join(tmpdir(), "wactor-trace-blob-"));
    tracing = await startTracing({ protocol: "http/protobuf", url: `${receiver.url}/v1/traces` });
    host = new Host({ logger: pino({ level: "silent" }), tracing, actorDefaults: { instances: 1 } });
    for (const provider of [new BlobstoreProvider(), new EventStreamsProvider({ retryMs: 100, blockMs: 200 }), new KeyValueProvider()])
      await host.addProvider(provider);
    for (const a of [blobber, writer, reader]) await host.startActor(a.signedPath);
    await host.bind(blobber.publicKey, "wascc:blobstore", "", { ROOT: root, CHUNK_SIZE: "1000" });
    await host.bind(writer.publicKey, "wascc:eventstreams", "", { URL: redis.url });
    await host.bind(reader.publicKey, "wascc:eventstreams", "", { URL: redis.url, STREAMS: "traced" });
    await host.bind(reader.publicKey, "wascc:keyvalue", "", { URL: redis.url, KEY_PREFIX: "traced:" });
  });

  afterAll(async () => {
    await host?.shutdown();
    await tracing?.shutdown();
    await Promise.all([redis?.stop(), receiver?.close()]);
    rmSync(root, { recursive: true, force: true });
  });

  /** The trace of the one root span named `rootName`, once it holds at least `count` spans. */
  async function traceOf(rootName: string, count: number): Promise<ReceivedSpan[]> {
    return eventually(async () => {
      await tracing.flush();
      const roots = receiver.spans.filter((s) => s.name === rootName && s.parentSpanId === "");
      expect(roots).toHaveLength(1);
      const spans = receiver.trace(roots[0]!.traceId);
      expect(spans.length).toBeGreaterThanOrEqual(count);
      return spans;
    });
  }

  it("an upload and a download: blobstore spans under the host calls, each ReceiveChunk under a blobstore deliver", async () => {
    await host.invoke(blobber.publicKey, "Upload", encode({ container: "t", id: "b", size: 2500, chunkSize: 1000, seed: 1 }));
    const upload = await traceOf("invoke Upload", 1 + 2 * 5);
    const invoke = only(upload, "invoke Upload");
    const start = only(upload, "blobstore StartUpload");
    expect(start).toMatchObject({ kind: 3, attributes: { "wactor.capability": "wascc:blobstore", "wactor.binding": "default" } });
    expect(only(upload, "call wascc:blobstore StartUpload").spanId).toBe(start.parentSpanId);
    expect(only(upload, "call wascc:blobstore StartUpload").parentSpanId).toBe(invoke.spanId);
    expect(upload.filter((s) => s.name === "blobstore UploadChunk")).toHaveLength(3);

    await host.invoke(blobber.publicKey, "Download", encode({ container: "t", id: "b", chunkSize: 0, seed: 1 }));
    const download = await traceOf("invoke Download", 1 + 2 + 3 * 2);
    const startDownload = only(download, "blobstore StartDownload");
    const delivers = download.filter((s) => s.name === "blobstore deliver");
    expect(delivers).toHaveLength(3); // 2500 bytes in CHUNK_SIZE 1000
    for (const d of delivers) {
      expect(d).toMatchObject({
        kind: 4,
        parentSpanId: startDownload.spanId,
        attributes: { "wactor.actor.key": blobber.publicKey, "wactor.blob.container": "t", "wactor.blob.id": "b" },
      });
      expect(download.filter((s) => s.name === "invoke ReceiveChunk" && s.parentSpanId === d.spanId)).toHaveLength(1);
    }
  });

  it("an event: redis WriteEvent under the writer's call; eventstreams deliver -> invoke DeliverEvent -> key-value", async () => {
    await host.invoke(writer.publicKey, "Write", encode({ stream: "traced", n: "1" }));
    const write = await traceOf("invoke Write", 3);
    const call = only(write, "call wascc:eventstreams WriteEvent");
    expect(only(write, "redis WriteEvent")).toMatchObject({
      kind: 3,
      parentSpanId: call.spanId,
      attributes: { "db.system.name": "redis", "db.operation.name": "WriteEvent" },
    });

    const delivery = await traceOf("eventstreams deliver", 4);
    const deliver = only(delivery, "eventstreams deliver");
    expect(deliver).toMatchObject({
      kind: 5,
      attributes: { "messaging.system": "redis", "messaging.destination.name": "traced", "wactor.actor.key": reader.publicKey },
    });
    const invoke = only(delivery, "invoke DeliverEvent");
    expect(invoke.parentSpanId).toBe(deliver.spanId);
    expect(delivery.filter((s) => s.name === "call wascc:keyvalue Add" && s.parentSpanId === invoke.spanId)).toHaveLength(2);
  });
});
