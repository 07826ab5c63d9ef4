/**
 * wascc:blobstore on a real directory: containers, a 10 MiB upload in chunks and its
 * download byte-identical, path escapes refused with WACTOR_ERR_BLOB_PATH and nothing written
 * outside the root, MAX_BYTES, uploads of one id kept apart, and an upload cut off (a killed
 * process, an unbind) that leaves no blob.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BlobstoreProvider, STAGING_DIR } from "../capabilities/blobstore/mod.js";
import {
  decodeBlob,
  decodeBlobList,
  decodeContainer,
  decodeFileChunk,
  decodeFirst,
  encode,
  encodeBlob,
  encodeContainer,
  encodeFileChunk,
  encodeStreamRequest,
  type FileChunk,
} from "../src/codec/mod.js";
import type { ActorIdentity, ProviderContext } from "../src/provider/contract.js";
import { codeOf } from "./helpers/code-of.js";
import { eventually } from "./helpers/eventually.js";

const ROOT_DIR = fileURLToPath(new URL("../", import.meta.url));
const ACTOR: ActorIdentity = { key: "MBLOBACTOR", issuer: "AISSUER", caps: ["wascc:blobstore"] };
const OTHER: ActorIdentity = { key: "MBLOBOTHER", issuer: "AISSUER", caps: ["wascc:blobstore"] };
const MiB = 1024 * 1024;

/** ReceiveChunk deliveries, as the host would hand them to the actor. */
const received: Array<{ actorKey: string; operation: string; chunk: FileChunk }> = [];
const context: ProviderContext = {
  logger: pino({ level: "silent" }),
  deliver: async (actorKey, _binding, operation, payload) => {
    received.push({ actorKey, operation, chunk: decodeFileChunk(payload) });
    return new Uint8Array();
  },
};

let base: string; // holds the root and a sibling "outside" folder
let root: string;
let outside: string;
const provider = new BlobstoreProvider();

const call = (operation: string, payload: Uint8Array, actor = ACTOR, binding = "default"): Promise<Uint8Array> =>
  provider.handleCall({ actor, binding, operation, payload });
const container = (operation: string, id: string, actor = ACTOR) => call(operation, encodeContainer({ id }), actor);
const blobCall = (operation: string, c: string, id: string) => call(operation, encodeBlob({ container: c, id, byteSize: 0 }));
const start = (c: string, id: string, totalBytes: number, chunkSize: number, ctx?: string, actor = ACTOR) =>
  call("StartUpload", encodeFileChunk({ sequenceNo: 0, container: c, id, totalBytes, chunkSize, context: ctx, chunkBytes: new Uint8Array() }), actor);
const chunk = (c: string, id: string, seq: number, bytes: Uint8Array, totalBytes: number, chunkSize: number, ctx?: string, actor = ACTOR) =>
  call("UploadChunk", encodeFileChunk({ sequenceNo: seq, container: c, id, totalBytes, chunkSize, context: ctx, chunkBytes: bytes }), actor);

/** Uploads `data` in chunks of `chunkSize`, in order. */
async function upload(c: string, id: string, data: Uint8Array, chunkSize: number, ctx?: string, actor = ACTOR): Promise<void> {
  await start(c, id, data.length, chunkSize, ctx, actor);
  for (let seq = 0; seq * chunkSize < data.length; seq++)
    await chunk(c, id, seq, data.subarray(seq * chunkSize, (seq + 1) * chunkSize), data.length, chunkSize, ctx, actor);
}

const sha = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");
const pattern = (size: number, seed: number): Uint8Array => Uint8Array.from({ length: size }, (_, i) => (i * 31 + seed) & 0xff);
const staged = (): string[] => readdirSync(join(root, STAGING_DIR));

/** Every file below `dir` (paths relative to it), for "nothing was written here". */
function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => !e.isDirectory())
    .map((e) => join(e.parentPath, e.name).slice(dir.length));
}

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), "wactor-blob-"));
  root = join(base, "root");
  outside = join(base, "outside");
  mkdirSync(root);
  mkdirSync(outside);
  writeFileSync(join(outside, "secret.txt"), "keep out");
  await provider.start(context);
  await provider.bind(ACTOR, "default", { ROOT: root, CHUNK_SIZE: String(256 * 1024), MAX_BYTES: String(32 * MiB) });
});
afterAll(async () => {
  await provider.stop();
  rmSync(base, { recursive: true, force: true });
});

describe("blob store binding", () => {
  it("refuses a binding without a usable ROOT or with bad limits, and binds nothing", async () => {
    for (const values of [
      {} as Record<string, string>,
      { ROOT: "relative/dir" },
      { ROOT: join(base, "missing") },
      { ROOT: join(outside, "secret.txt") },
      { ROOT: root, MAX_BYTES: "-1" },
      { ROOT: root, CHUNK_SIZE: "0" },
      { ROOT: root, CHUNK_SIZE: String(64 * MiB) },
    ]) {
      expect(await codeOf(provider.bind(OTHER, "bad", values))).toBe("WACTOR_ERR_BINDING_INVALID");
      expect(provider.bindingStatus(OTHER.key, "bad")).toBeUndefined();
    }
  });

  it("reports a root that went away after bind as a failed binding", async () => {
    const gone = mkdtempSync(join(base, "gone-"));
    await provider.bind(OTHER, "gone", { ROOT: gone });
    try {
      expect(provider.bindingStatus(OTHER.key, "gone")).toEqual({ state: "ok" });
      rmSync(gone, { recursive: true });
      expect(provider.bindingStatus(OTHER.key, "gone")).toMatchObject({ state: "failed", reason: expect.stringContaining("is gone") });
      expect(await codeOf(call("ListObjects", encodeContainer({ id: "x" }), OTHER, "gone"))).toBe("WACTOR_ERR_BLOB_NOT_FOUND");
    } finally {
      await provider.unbind(OTHER.key, "gone");
    }
  });
});

describe("containers and blobs", () => {
  it("creates a container (again: kept), lists its blobs, refuses to remove it while it holds any", async () => {
    expect(decodeContainer(await container("CreateContainer", "docs"))).toEqual({ id: "docs" });
    await container("CreateContainer", "docs");
    expect(decodeBlobList(await container("ListObjects", "docs"))).toEqual([]);
    await upload("docs", "b.txt", new TextEncoder().encode("bee"), 2);
    await upload("docs", "a.txt", new TextEncoder().encode("a"), 4);
    expect(decodeBlobList(await container("ListObjects", "docs"))).toEqual([
      { id: "a.txt", container: "docs", byteSize: 1 },
      { id: "b.txt", container: "docs", byteSize: 3 },
    ]);
    expect(decodeBlob(await blobCall("GetObjectInfo", "docs", "b.txt"))).toEqual({ id: "b.txt", container: "docs", byteSize: 3 });
    expect(readFileSync(join(root, "docs", "b.txt"), "utf8")).toBe("bee");
    expect(await codeOf(container("RemoveContainer", "docs"))).toBe("WACTOR_ERR_CONTAINER_NOT_EMPTY");
    await blobCall("RemoveObject", "docs", "a.txt");
    await blobCall("RemoveObject", "docs", "b.txt");
    expect(await codeOf(blobCall("RemoveObject", "docs", "b.txt"))).toBe("WACTOR_ERR_BLOB_NOT_FOUND");
    await container("RemoveContainer", "docs");
    expect(existsSync(join(root, "docs"))).toBe(false);
    expect(await codeOf(container("ListObjects", "docs"))).toBe("WACTOR_ERR_BLOB_NOT_FOUND");
    expect(await codeOf(blobCall("GetObjectInfo", "docs", "a.txt"))).toBe("WACTOR_ERR_BLOB_NOT_FOUND");
  });

  it("uploads 10 MiB in chunks; the blob appears only with its last chunk; the download is byte-identical, in order, CHUNK_SIZE honoured", async () => {
    await container("CreateContainer", "big");
    const data = pattern(10 * MiB + 123, 7);
    const chunkSize = MiB;
    await start("big", "ten.bin", data.length, chunkSize);
    const chunks = Math.ceil(data.length / chunkSize);
    for (let seq = 0; seq < chunks - 1; seq++)
      await chunk("big", "ten.bin", seq, data.subarray(seq * chunkSize, (seq + 1) * chunkSize), data.length, chunkSize);
    // Everything but the last chunk: no blob yet, not even a partial one.
    expect(await codeOf(blobCall("GetObjectInfo", "big", "ten.bin"))).toBe("WACTOR_ERR_BLOB_NOT_FOUND");
    expect(readdirSync(join(root, "big"))).toEqual([]);
    expect(staged()).toHaveLength(1);
    await chunk("big", "ten.bin", chunks - 1, data.subarray((chunks - 1) * chunkSize), data.length, chunkSize);
    expect(staged()).toEqual([]);
    expect(decodeBlob(await blobCall("GetObjectInfo", "big", "ten.bin")).byteSize).toBe(data.length);
    expect(sha(readFileSync(join(root, "big", "ten.bin")))).toBe(sha(data));

    // Asked for 0: the binding's CHUNK_SIZE (256 KiB); asked for more: lowered to it; less: as asked.
    for (const [asked, expected] of [
      [0, 256 * 1024],
      [MiB, 256 * 1024],
      [100_000, 100_000],
    ] as const) {
      received.length = 0;
      expect(
        decodeFirst(await call("StartDownload", encodeStreamRequest({ container: "big", id: "ten.bin", chunkSize: asked, context: `ctx-${asked}` }))),
      ).toEqual({});
      const count = Math.ceil(data.length / expected);
      await eventually(() => expect(received).toHaveLength(count));
      expect(received.map((r) => r.chunk.sequenceNo)).toEqual([...Array(count).keys()]);
      expect(
        new Set(
          received.map((r) => `${r.actorKey} ${r.operation} ${r.chunk.container}/${r.chunk.id} ${r.chunk.totalBytes} ${r.chunk.chunkSize} ${r.chunk.context}`),
        ),
      ).toEqual(new Set([`${ACTOR.key} ReceiveChunk big/ten.bin ${data.length} ${expected} ctx-${asked}`]));
      expect(received.slice(0, -1).every((r) => r.chunk.chunkBytes.length === expected)).toBe(true);
      expect(sha(Buffer.concat(received.map((r) => r.chunk.chunkBytes)))).toBe(sha(data));
    }
  });

  it("accepts chunks in any order and a repeated chunk once; refuses chunks that do not fit", async () => {
    await container("CreateContainer", "order");
    const data = pattern(10, 3);
    await start("order", "x", 10, 4);
    await chunk("order", "x", 2, data.subarray(8), 10, 4);
    await chunk("order", "x", 0, data.subarray(0, 4), 10, 4);
    await chunk("order", "x", 0, data.subarray(0, 4), 10, 4);
    expect(await codeOf(chunk("order", "x", 3, data.subarray(0, 2), 10, 4))).toBe("WACTOR_ERR_UPLOAD_STATE");
    expect(await codeOf(chunk("order", "x", 1, data.subarray(4, 7), 10, 4))).toBe("WACTOR_ERR_BAD_PAYLOAD");
    await chunk("order", "x", 1, data.subarray(4, 8), 10, 4);
    expect(readFileSync(join(root, "order", "x"))).toEqual(Buffer.from(data));
    expect(await codeOf(chunk("order", "x", 1, data.subarray(4, 8), 10, 4))).toBe("WACTOR_ERR_UPLOAD_STATE");
    expect(await codeOf(chunk("order", "never-started", 0, data, 10, 10))).toBe("WACTOR_ERR_UPLOAD_STATE");
  });

  it("stores an empty blob at StartUpload and downloads it as one empty chunk", async () => {
    await container("CreateContainer", "empty");
    await start("empty", "nothing", 0, 0);
    expect(decodeBlob(await blobCall("GetObjectInfo", "empty", "nothing")).byteSize).toBe(0);
    received.length = 0;
    await call("StartDownload", encodeStreamRequest({ container: "empty", id: "nothing", chunkSize: 0 }));
    await eventually(() => expect(received).toHaveLength(1));
    expect(received[0]!.chunk).toMatchObject({ sequenceNo: 0, totalBytes: 0, chunkBytes: new Uint8Array() });
    expect(await codeOf(call("StartDownload", encodeStreamRequest({ container: "empty", id: "missing", chunkSize: 0 })))).toBe("WACTOR_ERR_BLOB_NOT_FOUND");
  });

  it("refuses a blob over MAX_BYTES at StartUpload, staging nothing", async () => {
    await container("CreateContainer", "limits");
    expect(await codeOf(start("limits", "huge", 32 * MiB + 1, MiB))).toBe("WACTOR_ERR_BLOB_TOO_LARGE");
    expect(staged()).toEqual([]);
    expect(await codeOf(chunk("limits", "huge", 0, new Uint8Array(MiB), 32 * MiB + 1, MiB))).toBe("WACTOR_ERR_UPLOAD_STATE");
  });

  it("names the field of a malformed payload", async () => {
    const err = await call("CreateContainer", encode({ name: "x" })).catch((e: Error) => e);
    expect(err).toMatchObject({ code: "WACTOR_ERR_BAD_PAYLOAD" });
    expect((err as Error).message).toContain("'id'");
    expect(await codeOf(call("UploadChunk", encode({ container: "a", id: "b", sequenceNo: -1 })))).toBe("WACTOR_ERR_BAD_PAYLOAD");
    expect(await codeOf(call("Frobnicate", encode({})))).toBe("WACTOR_ERR_UNKNOWN_OPERATION");
    expect(await codeOf(provider.handleCall({ actor: OTHER, binding: "default", operation: "ListObjects", payload: encodeContainer({ id: "x" }) }))).toBe(
      "WACTOR_ERR_NOT_BOUND",
    );
  });
});

describe("path escapes", () => {
  const escapes = ["..", ".", "../outside", "/etc/passwd", "a/b", "a\\b", "nul\u0000byte", "x".repeat(256)];

  it("refuses every escaping container or blob id in every operation with WACTOR_ERR_BLOB_PATH, writing nothing outside the root", async () => {
    await container("CreateContainer", "safe");
    const before = tree(base);
    for (const bad of [...escapes, ".hidden", STAGING_DIR]) {
      for (const op of ["CreateContainer", "RemoveContainer", "ListObjects"])
        expect([op, bad, await codeOf(container(op, bad))]).toEqual([op, bad, "WACTOR_ERR_BLOB_PATH"]);
      expect(await codeOf(start(bad, "x", 1, 1))).toBe("WACTOR_ERR_BLOB_PATH");
    }
    for (const bad of escapes) {
      for (const op of ["GetObjectInfo", "RemoveObject"]) expect([op, bad, await codeOf(blobCall(op, "safe", bad))]).toEqual([op, bad, "WACTOR_ERR_BLOB_PATH"]);
      expect(await codeOf(start("safe", bad, 1, 1))).toBe("WACTOR_ERR_BLOB_PATH");
      expect(await codeOf(chunk("safe", bad, 0, new Uint8Array(1), 1, 1))).toBe("WACTOR_ERR_BLOB_PATH");
      expect(await codeOf(call("StartDownload", encodeStreamRequest({ container: "safe", id: bad, chunkSize: 0 })))).toBe("WACTOR_ERR_BLOB_PATH");
    }
    expect(tree(base)).toEqual(before);
    expect(readFileSync(join(outside, "secret.txt"), "utf8")).toBe("keep out");
  });

  it("never follows a symbolic link, as a container or as a blob", async () => {
    symlinkSync(outside, join(root, "linked"));
    symlinkSync(join(outside, "secret.txt"), join(root, "safe", "secret-link"));
    const before = tree(outside);
    expect(await codeOf(container("ListObjects", "linked"))).toBe("WACTOR_ERR_BLOB_PATH");
    expect(await codeOf(container("CreateContainer", "linked"))).toBe("WACTOR_ERR_BLOB_PATH");
    expect(await codeOf(start("linked", "planted", 4, 4))).toBe("WACTOR_ERR_BLOB_PATH");
    expect(await codeOf(blobCall("GetObjectInfo", "safe", "secret-link"))).toBe("WACTOR_ERR_BLOB_PATH");
    expect(await codeOf(blobCall("RemoveObject", "safe", "secret-link"))).toBe("WACTOR_ERR_BLOB_PATH");
    expect(await codeOf(call("StartDownload", encodeStreamRequest({ container: "safe", id: "secret-link", chunkSize: 0 })))).toBe("WACTOR_ERR_BLOB_PATH");
    // Listing shows regular files only.
    expect(decodeBlobList(await container("ListObjects", "safe"))).toEqual([]);
    // Uploading over the link's name replaces the link itself; the file it pointed at is untouched.
    await upload("safe", "secret-link", new TextEncoder().encode("mine"), 4);
    expect(readFileSync(join(root, "safe", "secret-link"), "utf8")).toBe("mine");
    expect(tree(outside)).toEqual(before);
    expect(readFileSync(join(outside, "secret.txt"), "utf8")).toBe("keep out");
  });

  it("refuses a folder inside a container as a blob, and reports file system failures as WACTOR_ERR_BLOB_IO", async () => {
    mkdirSync(join(root, "safe", "a-folder"));
    expect(await codeOf(start("safe", "a-folder", 1, 1))).toBe("WACTOR_ERR_BLOB_PATH");
    expect(await codeOf(blobCall("GetObjectInfo", "safe", "a-folder"))).toBe("WACTOR_ERR_BLOB_PATH");
    expect(decodeBlobList(await container("ListObjects", "safe")).map((b) => b.id)).not.toContain("a-folder");
    // A container the provider may not write to (root ignores permissions: a file in the way instead).
    await container("CreateContainer", "blocked");
    writeFileSync(join(root, "blocked", "x"), "");
    rmSync(join(root, STAGING_DIR), { recursive: true });
    writeFileSync(join(root, STAGING_DIR), "not a folder");
    try {
      expect(await codeOf(start("blocked", "y", 4, 4))).toBe("WACTOR_ERR_BLOB_IO");
    } finally {
      rmSync(join(root, STAGING_DIR));
      mkdirSync(join(root, STAGING_DIR));
    }
  });
});

describe("uploads kept apart and cut off", () => {
  it("keeps concurrent uploads of one id apart (contexts, actors): each lands whole, the last finished wins", async () => {
    await provider.bind(OTHER, "default", { ROOT: root });
    try {
      await container("CreateContainer", "shared");
      const [a, b, c] = [pattern(1000, 1), pattern(1000, 2), pattern(1000, 3)];
      await start("shared", "same", 1000, 100, "one");
      await start("shared", "same", 1000, 100, "two");
      await start("shared", "same", 1000, 100, undefined, OTHER);
      expect(staged()).toHaveLength(3);
      for (let seq = 0; seq < 10; seq++) {
        await chunk("shared", "same", seq, a.subarray(seq * 100, seq * 100 + 100), 1000, 100, "one");
        await chunk("shared", "same", seq, b.subarray(seq * 100, seq * 100 + 100), 1000, 100, "two");
        if (seq < 9) await chunk("shared", "same", seq, c.subarray(seq * 100, seq * 100 + 100), 1000, 100, undefined, OTHER);
      }
      expect(sha(readFileSync(join(root, "shared", "same")))).toBe(sha(b));
      await chunk("shared", "same", 9, c.subarray(900), 1000, 100, undefined, OTHER);
      expect(sha(readFileSync(join(root, "shared", "same")))).toBe(sha(c));
      expect(staged()).toEqual([]);
    } finally {
      await provider.unbind(OTHER.key, "default");
    }
  });

  it("drops an unfinished upload when its binding goes: no blob, nothing staged", async () => {
    await provider.bind(OTHER, "cut", { ROOT: root });
    await call("CreateContainer", encodeContainer({ id: "cut" }), OTHER, "cut");
    await call(
      "StartUpload",
      encodeFileChunk({ sequenceNo: 0, container: "cut", id: "half", totalBytes: 8, chunkSize: 4, chunkBytes: new Uint8Array() }),
      OTHER,
      "cut",
    );
    await call(
      "UploadChunk",
      encodeFileChunk({ sequenceNo: 0, container: "cut", id: "half", totalBytes: 8, chunkSize: 4, chunkBytes: new Uint8Array(4) }),
      OTHER,
      "cut",
    );
    expect(staged()).toHaveLength(1);
    await provider.unbind(OTHER.key, "cut");
    expect(staged()).toEqual([]);
    expect(readdirSync(join(root, "cut"))).toEqual([]);
  });

  it("an upload whose host is killed midway leaves no blob; its staged bytes are swept at a later bind", async () => {
    const killRoot = mkdtempSync(join(base, "kill-"));
    const child = spawn(process.execPath, ["--import", "tsx", "test/fixtures/blob-upload-child.ts", killRoot], {
      cwd: ROOT_DIR,
      stdio: ["ignore", "pipe", "inherit"],
    });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on("data", (d: Buffer) => d.toString().includes("half") && resolve());
        child.once("exit", (code) => reject(new Error(`child exited early (${code})`)));
      });
    } finally {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGKILL");
      await exited;
    }
    // Half of the chunks were written: only a staged file holds them, never the blob's name.
    expect(readdirSync(join(killRoot, "uploads"))).toEqual([]);
    expect(readdirSync(join(killRoot, STAGING_DIR))).toHaveLength(1);
    const later = new BlobstoreProvider({ stagingMaxAgeMs: 0 });
    await later.start(context);
    try {
      await later.bind(ACTOR, "default", { ROOT: killRoot });
      const blob = later.handleCall({
        actor: ACTOR,
        binding: "default",
        operation: "GetObjectInfo",
        payload: encodeBlob({ container: "uploads", id: "big.bin", byteSize: 0 }),
      });
      expect(await codeOf(blob)).toBe("WACTOR_ERR_BLOB_NOT_FOUND");
      expect(readdirSync(join(killRoot, STAGING_DIR))).toEqual([]);
    } finally {
      await later.stop();
    }
  });
});
