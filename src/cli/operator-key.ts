/**
 * The operator key `wactor ctl`, `wactor app` and the dashboard sign with: `--operator-seed`
 * (a seed or a file holding one), else env WACTOR_OPERATOR_SEED, else the current context
 * file, as wash keeps contexts: `$WACTOR_CONTEXT_DIR` (default `$XDG_CONFIG_HOME/wactor/contexts`
 * or `~/.config/wactor/contexts`), `<name>.json` holding `{ "operator_seed": "SO…" }`.
 * No key anywhere: requests go unsigned (an open lattice takes them; a closed one refuses).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { KeyPair } from "../claims/nkeys.js";
import { WactorError } from "../errors.js";

export interface OperatorFlags {
  operatorSeed?: string;
  context?: string;
}

export function contextDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.WACTOR_CONTEXT_DIR ?? join(env.XDG_CONFIG_HOME ?? join(homedir(), ".config"), "wactor", "contexts");
}

const contextFile = (name: string, env: NodeJS.ProcessEnv): string => {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name) || name.startsWith("."))
    throw new WactorError("WACTOR_ERR_BAD_ARGUMENT", `context name '${name}': letters, digits, '_', '-', '.' only`);
  return join(contextDir(env), `${name}.json`);
};

function operatorFromSeed(text: string, where: string): KeyPair {
  let pair: KeyPair;
  try {
    pair = KeyPair.fromSeed(text);
  } catch (err) {
    throw new WactorError("WACTOR_ERR_OPERATOR_SEED", `${where}: ${(err as Error).message}`);
  }
  if (pair.type !== "operator") throw new WactorError("WACTOR_ERR_OPERATOR_SEED", `${where}: a ${pair.type} seed, not an operator seed (SO…)`);
  return pair;
}

export function operatorSigner(flags: OperatorFlags, env: NodeJS.ProcessEnv = process.env): KeyPair | undefined {
  const given = flags.operatorSeed ?? env.WACTOR_OPERATOR_SEED;
  if (given !== undefined) {
    const text = /^S[A-Z2-7]{57}$/.test(given.trim()) ? given : readSeedFile(given);
    return operatorFromSeed(text, flags.operatorSeed !== undefined ? "--operator-seed" : "WACTOR_OPERATOR_SEED");
  }
  const file = contextFile(flags.context ?? env.WACTOR_CONTEXT ?? "default", env);
  if (!existsSync(file)) return undefined;
  let seed: unknown;
  try {
    seed = (JSON.parse(readFileSync(file, "utf8")) as { operator_seed?: unknown }).operator_seed;
  } catch (err) {
    throw new WactorError("WACTOR_ERR_OPERATOR_SEED", `${file}: ${(err as Error).message}`);
  }
  if (typeof seed !== "string") throw new WactorError("WACTOR_ERR_OPERATOR_SEED", `${file}: no 'operator_seed'`);
  return operatorFromSeed(seed, file);
}

/** Stores an operator seed in a context file (mode 0600); returns the file. */
export function saveContext(name: string, seed: string, env: NodeJS.ProcessEnv = process.env): string {
  const pair = operatorFromSeed(seed, "operator seed");
  const file = contextFile(name, env);
  mkdirSync(contextDir(env), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${JSON.stringify({ operator_seed: pair.seed, operator: pair.publicKey }, null, 2)}\n`, { mode: 0o600 });
  return file;
}

function readSeedFile(path: string): string {
  try {
    return readFileSync(path, "utf8").trim();
  } catch (err) {
    throw new WactorError("WACTOR_ERR_OPERATOR_SEED", `'${path}' is neither an operator seed nor a readable file: ${(err as Error).message}`);
  }
}
