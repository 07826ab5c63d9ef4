/** Compiles test/fixtures/raw-guest.ts with AssemblyScript once per test process. */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { KeyPair } from "../../src/claims/nkeys.js";
import { signModule, type SignOptions } from "../../src/claims/sign.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SOURCE = `${ROOT}test/fixtures/raw-guest.ts`;
const OUT = `${ROOT}node_modules/.cache/wactor-test/raw-guest.wasm`;

export function rawGuestBytes(): Uint8Array {
  if (!existsSync(OUT) || statSync(OUT).mtimeMs < statSync(SOURCE).mtimeMs) {
    mkdirSync(`${ROOT}node_modules/.cache/wactor-test`, { recursive: true });
    execFileSync(process.execPath, [`${ROOT}node_modules/assemblyscript/bin/asc.js`, SOURCE, "-o", OUT, "--runtime", "incremental", "-O3"], { cwd: ROOT });
  }
  return new Uint8Array(readFileSync(OUT));
}

export const testAccount = KeyPair.create("account");

/** The raw guest signed with a fresh module key (or the one given) and the given caps. */
export async function signedRawGuest(options: Partial<SignOptions> = {}): Promise<{ bytes: Uint8Array; key: string }> {
  const subject = options.subject ?? KeyPair.create("module");
  const { bytes } = await signModule(rawGuestBytes(), { issuer: testAccount, subject, name: "raw", ...options });
  return { bytes, key: subject.publicKey };
}
