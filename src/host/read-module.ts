/** Reads a module file; a missing or unreadable file is WACTOR_ERR_FILE_READ naming the path. */
import { readFile } from "node:fs/promises";
import { WactorError } from "../errors.js";

export async function readModule(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (err) {
    throw new WactorError("WACTOR_ERR_FILE_READ", `${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
