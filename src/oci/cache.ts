/**
 * Pulled manifests and modules on disk, by digest (`<dir>/sha256/<hex>`). Content is
 * checked against its name on every read, so a damaged file is fetched again rather than run.
 * Tags are not cached: a tag is re-resolved every time, a digest never needs to be.
 */
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { sha256Digest } from "./client.js";
import { DIGEST } from "./reference.js";

/** `$WACTOR_OCI_CACHE`, else `$XDG_CACHE_HOME/wactor/oci`, else `~/.cache/wactor/oci`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.WACTOR_OCI_CACHE ?? join(env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "wactor", "oci");
}

export class DigestCache {
  constructor(readonly dir: string) {}

  #file(digest: string): string {
    if (!DIGEST.test(digest)) throw new Error(`not a sha256 digest: ${digest}`);
    return join(this.dir, "sha256", digest.slice("sha256:".length));
  }

  async get(digest: string): Promise<Uint8Array | undefined> {
    const file = this.#file(digest);
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(file));
    } catch {
      return undefined;
    }
    if (sha256Digest(bytes) === digest) return bytes;
    await rm(file, { force: true });
    return undefined;
  }

  /** Written to a temporary name, then renamed: a reader never sees half a file. */
  async put(digest: string, bytes: Uint8Array): Promise<void> {
    const file = this.#file(digest);
    await mkdir(join(this.dir, "sha256"), { recursive: true });
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(tmp, bytes);
    await rename(tmp, file);
  }
}
