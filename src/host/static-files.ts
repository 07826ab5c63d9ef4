/**
 * An actor's static files (docs/runnables.md, get_static_file): a source the host holds per
 * actor. A directory today (the actor option `staticDir`); a bundle can be another source.
 */
import { readFile, realpath } from "node:fs/promises";
import { isAbsolute, join, relative, resolve, sep } from "node:path";

export interface StaticFiles {
  /** The file's bytes, or undefined when there is no such file. */
  read(name: string): Promise<Uint8Array | undefined>;
}

/**
 * Reactr's name rules: a leading `static/`, then `/`, then `./` are each stripped once; what
 * is left is looked up exactly.
 */
export function normalizeStaticName(name: string): string {
  let n = name;
  if (n.startsWith("static/")) n = n.slice("static/".length);
  if (n.startsWith("/")) n = n.slice(1);
  if (n.startsWith("./")) n = n.slice(2);
  return n;
}

/** Files under one directory; nothing outside it is reachable, neither by `..` nor by a symbolic link. */
export class DirectoryStaticFiles implements StaticFiles {
  readonly #dir: string;
  #root: Promise<string> | undefined;

  constructor(dir: string) {
    this.#dir = resolve(dir);
  }

  async read(name: string): Promise<Uint8Array | undefined> {
    const wanted = normalizeStaticName(name);
    if (wanted === "" || wanted.includes("\0")) return undefined;
    const root = await (this.#root ??= realpath(this.#dir).catch(() => this.#dir));
    const candidate = join(root, wanted);
    if (!inside(root, candidate)) return undefined;
    let real: string;
    try {
      real = await realpath(candidate);
    } catch {
      return undefined;
    }
    if (!inside(root, real)) return undefined;
    try {
      return new Uint8Array(await readFile(real));
    } catch {
      return undefined; // a directory, or unreadable: no such file for the actor
    }
  }
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== "" && !rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel);
}
