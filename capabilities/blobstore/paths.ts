/**
 * Confinement of a blob store binding to its ROOT directory. Container and blob ids are single
 * path segments, checked before any file system call; every container and blob is then
 * `lstat`ed (a symbolic link is refused, never followed) and the container's real path must be
 * the root's own child. Files are opened with O_NOFOLLOW as well, so nothing is read or
 * written outside the root even if a link appears between the check and the open.
 */
import { constants, type Stats } from "node:fs";
import { lstat, mkdir, readdir, realpath, rm, stat } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import { WactorError } from "../../src/errors.js";

/** Hidden folder of the root where uploads are written until their last chunk arrives. */
export const STAGING_DIR = ".wactor-staging";
export const READ_NO_FOLLOW = constants.O_RDONLY | constants.O_NOFOLLOW;
const MAX_ID_BYTES = 255;

const errno = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | null)?.code;
const shown = (id: string): string => JSON.stringify(id);

/** Throws WACTOR_ERR_BLOB_PATH unless `id` is one harmless path segment. */
export function checkId(kind: "container" | "blob", id: string): void {
  let why: string | undefined;
  if (id === "") why = "is empty";
  else if (id === "." || id === "..") why = "names a directory of the path itself";
  else if (/[/\\\0]/.test(id)) why = "contains '/', '\\' or NUL";
  else if (Buffer.byteLength(id) > MAX_ID_BYTES) why = `is longer than ${MAX_ID_BYTES} bytes`;
  // Leading dots are the provider's own (the staging folder) and hidden from listings.
  else if (kind === "container" && id.startsWith(".")) why = "starts with '.'";
  if (why) throw new WactorError("WACTOR_ERR_BLOB_PATH", `${kind} id ${shown(id)} ${why}`);
}

export class BlobRoot {
  private constructor(
    /** The root's real path (symbolic links of the configured path resolved once, at bind). */
    readonly path: string,
    readonly staging: string,
  ) {}

  /** Resolves ROOT, which must be an existing directory, and makes its staging folder. */
  static async open(root: string): Promise<BlobRoot> {
    if (!isAbsolute(root)) throw new WactorError("WACTOR_ERR_BINDING_INVALID", `ROOT must be an absolute path, got '${root}'`);
    let real: string;
    try {
      real = await realpath(root);
      if (!(await stat(real)).isDirectory()) throw new Error("not a directory");
    } catch (err) {
      throw new WactorError("WACTOR_ERR_BINDING_INVALID", `ROOT '${root}' is not an existing directory (${errno(err) ?? (err as Error).message})`);
    }
    const staging = join(real, STAGING_DIR);
    await mkdir(staging, { recursive: true, mode: 0o700 });
    if (!(await lstat(staging)).isDirectory())
      throw new WactorError("WACTOR_ERR_BINDING_INVALID", `ROOT '${root}': ${STAGING_DIR} exists and is not a directory`);
    return new BlobRoot(real, staging);
  }

  /** Path of an existing container (a real directory directly under the root). */
  async container(id: string): Promise<string> {
    checkId("container", id);
    const dir = join(this.path, id);
    let info: Stats;
    try {
      info = await lstat(dir);
    } catch (err) {
      if (errno(err) === "ENOENT") throw new WactorError("WACTOR_ERR_BLOB_NOT_FOUND", `container ${shown(id)} does not exist`);
      throw err;
    }
    if (info.isSymbolicLink() || !info.isDirectory())
      throw new WactorError("WACTOR_ERR_BLOB_PATH", `container ${shown(id)} is not a directory of the store (a link or a file)`);
    if ((await realpath(dir)) !== dir) throw new WactorError("WACTOR_ERR_BLOB_PATH", `container ${shown(id)} resolves outside the store`);
    return dir;
  }

  /** Creates the container; an existing one is kept (CreateContainer is idempotent). */
  async createContainer(id: string): Promise<void> {
    checkId("container", id);
    try {
      await mkdir(join(this.path, id));
    } catch (err) {
      if (errno(err) !== "EEXIST") throw err;
    }
    await this.container(id); // refuses a link or a file of that name
  }

  /** Path of a blob id in an existing container; the blob itself need not exist. */
  async blobPath(container: string, id: string): Promise<string> {
    checkId("blob", id);
    return join(await this.container(container), id);
  }

  /** The blob's path and stats: a regular file, never a link. */
  async blob(container: string, id: string): Promise<{ file: string; info: Stats }> {
    const file = await this.blobPath(container, id);
    let info: Stats;
    try {
      info = await lstat(file);
    } catch (err) {
      if (errno(err) === "ENOENT") throw new WactorError("WACTOR_ERR_BLOB_NOT_FOUND", `blob ${shown(id)} is not in container ${shown(container)}`);
      throw err;
    }
    if (!info.isFile()) throw new WactorError("WACTOR_ERR_BLOB_PATH", `blob ${shown(id)} in ${shown(container)} is not a regular file (a link or a directory)`);
    return { file, info };
  }

  /** Regular files of a container, by id; links, folders and anything else are not blobs. */
  async list(container: string): Promise<Array<{ id: string; byteSize: number }>> {
    const dir = await this.container(container);
    const entries = await readdir(dir, { withFileTypes: true });
    const blobs: Array<{ id: string; byteSize: number }> = [];
    for (const entry of entries) {
      if (!entry.isFile()) continue;
      const info = await lstat(join(dir, entry.name)).catch(() => undefined); // removed meanwhile
      if (info?.isFile()) blobs.push({ id: entry.name, byteSize: info.size });
    }
    return blobs.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Staged files older than `maxAgeMs`: uploads of a host that died before finishing them. */
  async sweepStaging(maxAgeMs: number, now = Date.now()): Promise<number> {
    let removed = 0;
    for (const name of await readdir(this.staging).catch(() => [] as string[])) {
      const file = join(this.staging, name);
      const info = await lstat(file).catch(() => undefined);
      if (info && now - info.mtimeMs >= maxAgeMs) {
        await rm(file, { force: true });
        removed++;
      }
    }
    return removed;
  }
}
