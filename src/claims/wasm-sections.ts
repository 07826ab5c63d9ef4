/**
 * Just enough of the WebAssembly binary format to find, strip and append custom sections
 * without touching any other byte (the claims hash depends on that: docs/wascc-protocol.md §3).
 */
import { WactorError } from "../errors.js";

const MAGIC_AND_VERSION = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
export const JWT_SECTION = "jwt";
const CUSTOM_SECTION_ID = 0;

export interface SectionSpan {
  id: number;
  /** Offset of the section id byte. */
  start: number;
  /** Offset just past the section's last byte. */
  end: number;
  /** Custom sections only: the section name and where its content starts. */
  name?: string;
  contentStart?: number;
}

export function readVarU32(bytes: Uint8Array, offset: number): { value: number; next: number } {
  let result = 0;
  for (let i = 0; i < 5; i++) {
    const pos = offset + i;
    if (pos >= bytes.length) throw new WactorError("WACTOR_ERR_TRUNCATED_MODULE", `LEB128 runs past the end at byte ${pos}`);
    const byte = bytes[pos]!;
    result += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) {
      if (result > 0xffffffff) break;
      return { value: result, next: pos + 1 };
    }
  }
  throw new WactorError("WACTOR_ERR_TRUNCATED_MODULE", `invalid LEB128 at byte ${offset}`);
}

export function writeVarU32(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

/** Checks the header; distinguishes "not wasm at all" from "wasm cut short". */
function checkHeader(bytes: Uint8Array): void {
  if (bytes.length === 0) throw new WactorError("WACTOR_ERR_NOT_WASM", "the file is empty");
  const n = Math.min(bytes.length, MAGIC_AND_VERSION.length);
  for (let i = 0; i < n; i++) {
    if (bytes[i] !== MAGIC_AND_VERSION[i]) {
      throw new WactorError("WACTOR_ERR_NOT_WASM", i < 4 ? "wrong magic number" : "unsupported wasm version");
    }
  }
  if (bytes.length < MAGIC_AND_VERSION.length) throw new WactorError("WACTOR_ERR_TRUNCATED_MODULE", "the header is cut short");
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Lists the top-level sections; throws a WactorError for anything malformed. */
export function listSections(bytes: Uint8Array): SectionSpan[] {
  checkHeader(bytes);
  const sections: SectionSpan[] = [];
  let offset = MAGIC_AND_VERSION.length;
  while (offset < bytes.length) {
    const start = offset;
    const id = bytes[offset]!;
    if (id > 13) throw new WactorError("WACTOR_ERR_TRUNCATED_MODULE", `unknown section id ${id} at byte ${start}`);
    const size = readVarU32(bytes, offset + 1);
    const end = size.next + size.value;
    if (end > bytes.length) {
      throw new WactorError("WACTOR_ERR_TRUNCATED_MODULE", `section at byte ${start} needs ${size.value} bytes, ${bytes.length - size.next} remain`);
    }
    const span: SectionSpan = { id, start, end };
    if (id === CUSTOM_SECTION_ID) {
      const nameLen = readVarU32(bytes, size.next);
      const nameEnd = nameLen.next + nameLen.value;
      if (nameEnd > end) throw new WactorError("WACTOR_ERR_TRUNCATED_MODULE", `custom section name at byte ${start} overruns its section`);
      try {
        span.name = utf8.decode(bytes.subarray(nameLen.next, nameEnd));
      } catch {
        throw new WactorError("WACTOR_ERR_TRUNCATED_MODULE", `custom section name at byte ${start} is not UTF-8`);
      }
      span.contentStart = nameEnd;
    }
    sections.push(span);
    offset = end;
  }
  return sections;
}

/** The module bytes with every `jwt` custom section removed and all else kept as is. */
export function stripJwtSections(bytes: Uint8Array, sections = listSections(bytes)): Uint8Array {
  return stripCustomSections(bytes, (name) => name === JWT_SECTION, sections);
}

/** The module bytes without the custom sections `drop` names; every other byte kept as is. */
export function stripCustomSections(bytes: Uint8Array, drop: (name: string) => boolean, sections = listSections(bytes)): Uint8Array {
  const kept = sections.filter((s) => s.name === undefined || !drop(s.name));
  if (kept.length === sections.length) return bytes;
  const size = MAGIC_AND_VERSION.length + kept.reduce((sum, s) => sum + (s.end - s.start), 0);
  const out = new Uint8Array(size);
  out.set(bytes.subarray(0, MAGIC_AND_VERSION.length));
  let at = MAGIC_AND_VERSION.length;
  for (const s of kept) {
    out.set(bytes.subarray(s.start, s.end), at);
    at += s.end - s.start;
  }
  return out;
}

/** Contents of every `jwt` custom section, in file order. */
export function jwtSectionContents(bytes: Uint8Array, sections = listSections(bytes)): Uint8Array[] {
  return sections.filter((s) => s.name === JWT_SECTION).map((s) => bytes.subarray(s.contentStart!, s.end));
}

/** Appends a custom section (the `jwt` section is last by convention). */
export function appendCustomSection(bytes: Uint8Array, name: string, content: Uint8Array): Uint8Array {
  const nameBytes = new TextEncoder().encode(name);
  const payload = [...writeVarU32(nameBytes.length), ...nameBytes];
  const sizeBytes = writeVarU32(payload.length + content.length);
  const out = new Uint8Array(bytes.length + 1 + sizeBytes.length + payload.length + content.length);
  let at = 0;
  out.set(bytes, at);
  at += bytes.length;
  out[at++] = CUSTOM_SECTION_ID;
  out.set(sizeBytes, at);
  at += sizeBytes.length;
  out.set(payload, at);
  at += payload.length;
  out.set(content, at);
  return out;
}
