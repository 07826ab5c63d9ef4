/**
 * One deterministic tamper: a byte flipped in the middle of the code section's body. Section
 * sizes stay as they are, so the module still parses and the claims still decode; only the
 * hash over the module differs, and verification must fail with WACTOR_ERR_HASH_MISMATCH.
 */
import { listSections } from "../../src/claims/wasm-sections.js";

const CODE_SECTION = 10;

export function tamperCode(signed: Uint8Array): Uint8Array {
  const code = listSections(signed).find((s) => s.id === CODE_SECTION);
  if (!code) throw new Error("the module has no code section to tamper with");
  const tampered = signed.slice();
  const at = code.end - Math.floor((code.end - code.start) / 2);
  tampered[at] = tampered[at]! ^ 0xff;
  return tampered;
}
