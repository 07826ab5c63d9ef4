/**
 * A bundle's static files (entries under `static/`), read by functions through
 * `get_static_file`. Lookup strips, once each and in this order, a leading `static/`, `/` and
 * `./`, then needs an exact match: reads cannot leave the bundle's static folder.
 */
export const STATIC_PREFIX = "static/";

export function normalizeStaticName(name: string): string {
  let n = name;
  if (n.startsWith(STATIC_PREFIX)) n = n.slice(STATIC_PREFIX.length);
  if (n.startsWith("/")) n = n.slice(1);
  if (n.startsWith("./")) n = n.slice(2);
  return n;
}

export class StaticFiles {
  private readonly files = new Map<string, Uint8Array>();

  constructor(entries: Iterable<[string, Uint8Array]> = []) {
    for (const [name, bytes] of entries) if (name.startsWith(STATIC_PREFIX)) this.files.set(name.slice(STATIC_PREFIX.length), bytes);
  }

  /** The file's bytes, or undefined ("not exist": the host answers -3 to the module). */
  get(name: string): Uint8Array | undefined {
    return this.files.get(normalizeStaticName(name));
  }

  names(): string[] {
    return [...this.files.keys()].sort();
  }
}
