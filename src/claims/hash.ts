import { createHash } from "node:crypto";
import { listSections, stripJwtSections, type SectionSpan } from "./wasm-sections.js";

/** SHA-256, upper-case hex, of the module without its `jwt` section(s) (docs/wascc-protocol.md §3). */
export function moduleHash(bytes: Uint8Array, sections: SectionSpan[] = listSections(bytes)): string {
  return createHash("sha256").update(stripJwtSections(bytes, sections)).digest("hex").toUpperCase();
}
