import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { KeyPair, KEY_TYPES, type KeyType } from "../claims/nkeys.js";
import { WactorError } from "../errors.js";
import { printJson } from "./output.js";

export function registerKeysCommands(program: Command): void {
  const keys = program.command("keys").description("generate and inspect nkeys (Ed25519 keys in NATS encoding)");
  keys
    .command("gen")
    .description(`generate a key pair: ${KEY_TYPES.join(" | ")}`)
    .argument("<type>", "key type")
    .option("--json", "print a JSON object")
    .action((type: string, opts: { json?: boolean }) => {
      if (!(KEY_TYPES as string[]).includes(type)) {
        throw new WactorError("WACTOR_ERR_BAD_ARGUMENT", `key type '${type}'; expected one of ${KEY_TYPES.join(", ")}`);
      }
      const pair = KeyPair.create(type as KeyType);
      if (opts.json) printJson({ type, publicKey: pair.publicKey, seed: pair.seed });
      else process.stdout.write(`Public Key: ${pair.publicKey}\nSeed: ${pair.seed}\n\nRemember that the seed is private, treat it as a secret.\n`);
    });
}

/**
 * Resolves a key argument: an encoded seed, a public key, or the path of a file holding one.
 * A public key is accepted only where the caller does not need to sign.
 */
export async function resolveKey(value: string, expected: KeyType, needSeed: boolean): Promise<KeyPair> {
  let text = value.trim();
  if (!/^[A-Z2-7]{56,58}$/.test(text)) {
    try {
      text = (await readFile(text, "utf8")).trim();
    } catch (err) {
      throw new WactorError("WACTOR_ERR_FILE_READ", `'${value}' is neither a key nor a readable key file: ${(err as Error).message}`);
    }
  }
  const pair = text.startsWith("S") ? KeyPair.fromSeed(text) : KeyPair.fromPublicKey(text);
  if (pair.type !== expected) throw new WactorError("WACTOR_ERR_KEY_TYPE", `expected a ${expected} key, got a ${pair.type} key`);
  if (needSeed && !pair.hasSeed) throw new WactorError("WACTOR_ERR_KEY_TYPE", `a ${expected} seed (S…) is needed to sign, not a public key`);
  return pair;
}
