/**
 * Actor modules shared across hosts: a JetStream Object Store keyed by the module hash
 * from the claims. A host that downloads one verifies its claims again before running it.
 */
import { createHash } from "node:crypto";
import type { ObjectStore } from "nats";
import { WactorError } from "../../errors.js";
import { readState } from "./state-read.js";
import type { LatticeBuckets } from "./buckets.js";
import { writeState } from "./state-write.js";

/** SHA-256 (upper hex) of a signed module file: names one exact signing, unlike the claims hash. */
export function moduleDigest(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex").toUpperCase();
}

export class ArtifactStore {
  private constructor(private readonly os: ObjectStore) {}

  static async open(buckets: LatticeBuckets, bucket: string): Promise<ArtifactStore> {
    return new ArtifactStore(await buckets.os(bucket));
  }

  /**
   * Stores a module under a name: its claims hash (the newest signing of the same code wins,
   * since re-signing changes the bytes, not the hash) or its digest (one exact signing).
   */
  async put(hash: string, bytes: Uint8Array): Promise<string> {
    const existing = await readState(`reading actor module ${hash}`, () => this.os.info(hash));
    const digest = `SHA-256=${createHash("sha256").update(bytes).digest("base64").replaceAll("+", "-").replaceAll("/", "_")}`;
    if (!existing || existing.deleted || existing.digest !== digest) {
      // nats.js purges the chunks of a put that fails, so nothing half-written stays visible.
      await writeState(`storing actor module ${hash} (${bytes.length} bytes)`, () => this.os.putBlob({ name: hash }, bytes));
    }
    return hash;
  }

  async get(hash: string): Promise<Uint8Array> {
    const bytes = await readState(`reading actor module ${hash}`, () => this.os.getBlob(hash));
    if (!bytes) throw new WactorError("WACTOR_ERR_ARTIFACT_NOT_FOUND", hash);
    return bytes;
  }
}
