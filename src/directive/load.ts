/** Reading a Directive: parse (types) then validate (meaning); both report every problem at once. */
import { readFile } from "node:fs/promises";
import { WactorError } from "../errors.js";
import { parseDirective } from "./parse.js";
import type { Directive } from "./types.js";
import { assertValidDirective } from "./validate.js";

/** Parses and validates Directive text; throws WACTOR_ERR_DIRECTIVE listing every problem. */
export function loadDirective(text: string, file = "Directive.yaml"): Directive {
  return assertValidDirective(parseDirective(text, file));
}

export async function loadDirectiveFile(file: string): Promise<Directive> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new WactorError("WACTOR_ERR_FILE_READ", `${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return loadDirective(text, file);
}
