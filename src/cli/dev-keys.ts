/** Dev keys of `wactor dev`: created in the project's .wactor/ on first use and reused, so a rebuild keeps its identity. */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { KeyPair, type KeyType } from "../claims/nkeys.js";

export function devKey(dir: string, type: KeyType): KeyPair {
  const file = join(dir, `${type}.nk`);
  if (existsSync(file)) return KeyPair.fromSeed(readFileSync(file, "utf8").trim());
  const pair = KeyPair.create(type);
  writeFileSync(file, `${pair.seed}\n`, { mode: 0o600 });
  return pair;
}
