/**
 * The blobber example actor (AssemblyScript SDK) on a host with the blob store provider and a
 * real directory: a 10 MiB upload in chunks made by the actor, byte-identical on disk, and its
 * download delivered to the actor as ReceiveChunk calls in order. Claims are enforced at each
 * call, as for every capability: no claim, no binding, no call.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BlobstoreProvider } from "../capabilities/blobstore/mod.js";
import { EventStreamsProvider } from "../capabilities/eventstreams/mod.js";
import { KeyPair } from "../src/claims/nkeys.js";
import { signModule } from "../src/claims/sign.js";
import { decodeFirst, encode } from "../src/codec/mod.js";
import { Host } from "../src/host/host.js";
import { actor, unsignedBytes } from "./helpers/actors.js";
import { codeOf } from "./helpers/code-of.js";
import { eventually } from "./helpers/eventually.js";
import { signedRawGuest } from "./helpers/raw-guest.js";

const MiB = 1024 * 1024;
const pattern = (size: number, seed: number): Buffer => Buffer.from(Uint8Array.from({ length: size }, (_, i) => (i * 31 + seed) & 0xff));
const sha = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");
const enc = (text: string): Uint8Array => new TextEncoder().encode(text);

describe("blobber actor on a real directory", () => {
  const host = new Host({ logger: pino({ level: "silent" }), actorDefaults: { instances: 1, deadlineMs: 60_000 } });
  const blobber = actor("blobber");
  let root: string;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), "wactor-blobber-"));
    await host.addProvider(new BlobstoreProvider());
    await host.addProvider(new EventStreamsProvider());
    await host.startActor(blobber.signedPath);
    await host.bind(blobber.publicKey, "wascc:blobstore", "default", { ROOT: root, CHUNK_SIZE: String(256 * 1024) });
  });
  afterAll(async () => {
    await host.shutdown();
    rmSync(root, { recursive: true, force: true });
  });

  const invoke = async (operation: string, args: Record<string, unknown>): Promise<unknown> =>
    decodeFirst(await host.invoke(blobber.publicKey, operation, encode(args)));

  it("uploads 10 MiB in 1 MiB chunks, byte-identical on disk, and downloads it back in order (CHUNK_SIZE chunks)", async () => {
    const size = 10 * MiB;
    expect(await invoke("Upload", { container: "media", id: "ten.bin", size, chunkSize: MiB, seed: 5 })).toEqual({});
    expect(sha(readFileSync(join(root, "media", "ten.bin")))).toBe(sha(pattern(size, 5)));
    expect(await invoke("Info", { container: "media", id: "ten.bin" })).toEqual({ id: "ten.bin", container: "media", byteSize: size });

    expect(await invoke("Download", { container: "media", id: "ten.bin", chunkSize: 0, seed: 5 })).toEqual({});
    const done = await eventually(
      async () => {
        const status = (await invoke("Status", {})) as { bytes: number };
        expect(status.bytes).toBe(size);
        return status;
      },
      { timeoutMs: 60_000 },
    );
    expect(done).toEqual({ chunks: 40, bytes: size, totalBytes: size, inOrder: true, intact: true });
  }, 120_000);

  it("lists, removes the blob and its container through the SDK", async () => {
    await invoke("Upload", { container: "tidy", id: "small.bin", size: 10, chunkSize: 4, seed: 2 });
    expect(await invoke("List", { container: "tidy" })).toEqual({ ids: ["small.bin"], sizes: [10] });
    expect(await invoke("Remove", { container: "tidy", id: "small.bin" })).toEqual({});
    expect(existsSync(join(root, "tidy"))).toBe(false);
    const message = await host.invoke(blobber.publicKey, "List", encode({ container: "tidy" })).catch((e: Error) => e.message);
    expect(message).toContain("WACTOR_ERR_BLOB_NOT_FOUND");
  });

  it("the actor sees a refused path as its call's error, with the catalog code", async () => {
    const message = await host
      .invoke(blobber.publicKey, "Upload", encode({ container: "../outside", id: "x", size: 1, chunkSize: 1, seed: 0 }))
      .catch((e: Error) => e.message);
    expect(message).toContain("WACTOR_ERR_BLOB_PATH");
  });

  it("enforces claims at each call: an actor without the claim can neither be bound nor call; a claimed one needs its binding", async () => {
    const account = KeyPair.create("account");
    // blobber's own code, signed without wascc:blobstore.
    const { bytes } = await signModule(unsignedBytes("blobber"), { issuer: account, subject: KeyPair.create("module"), caps: [], name: "unclaimed" });
    const unclaimed = (await host.startActor(bytes)).key;
    expect(await codeOf(host.bind(unclaimed, "wascc:blobstore", "default", { ROOT: root }))).toBe("WACTOR_ERR_PERMISSION_DENIED");
    const denied = await host.invoke(unclaimed, "Upload", encode({ container: "c", id: "x", size: 1, chunkSize: 1, seed: 0 })).catch((e: Error) => e.message);
    expect(denied).toContain("did not claim wascc:blobstore");

    // A raw guest that claims both capabilities but has no binding: refused at the call, per capability and binding.
    const raw = await signedRawGuest({ caps: ["wascc:blobstore", "wascc:eventstreams"], name: "raw-storage" });
    const rawKey = (await host.startActor(raw.bytes)).key;
    for (const target of ["|wascc:blobstore|ListObjects|x", "|wascc:eventstreams|WriteEvent|x", "other|wascc:blobstore|ListObjects|x"]) {
      const refused = await host.invoke(rawKey, "HostCall", enc(target)).catch((e: Error) => e.message);
      expect(refused).toContain("WACTOR_ERR_PERMISSION_DENIED");
    }
    // Nothing was written by any refused call.
    expect(host.authorizer.deniedCounts()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ actorKey: unclaimed, capabilityId: "wascc:blobstore" }),
        expect.objectContaining({ actorKey: rawKey, capabilityId: "wascc:eventstreams" }),
      ]),
    );
  });
});
