/**
 * The parts of a module's structure the single-pass rewrite (jspi-rewrite.ts) must know:
 * its sections, the signatures of its function types, its function imports, the types of its
 * defined functions and the number of its globals. Everything else is copied unread. Also the
 * export names alone, which the transform cache checks a hit by.
 */
import { listSections } from "../../claims/wasm-sections.js";
import { Reader } from "./wasm-bytes.js";

export const SECTION = {
  custom: 0,
  type: 1,
  import: 2,
  function: 3,
  table: 4,
  memory: 5,
  global: 6,
  export: 7,
  start: 8,
  element: 9,
  code: 10,
  data: 11,
  tag: 13,
};
/** The order sections must appear in (data count, 12, sits between element and code). */
export const SECTION_ORDER = [1, 2, 3, 4, 5, 13, 6, 7, 8, 9, 12, 10, 11];

export interface Section {
  id: number;
  /** Where its content starts and ends (after the id and size). */
  start: number;
  end: number;
}

/** A function type's value types, as their first byte (a reference type is 0x63 or 0x64). */
export interface Signature {
  params: number[];
  results: number[];
}

export interface FunctionImport {
  module: string;
  name: string;
  type: number;
}

export interface ModuleLayout {
  sections: Section[];
  /** By type index; undefined for a struct or array type. */
  signatures: Array<Signature | undefined>;
  /** Entries of the type section (a recursion group is one entry holding several types). */
  typeEntries: number;
  functionImports: FunctionImport[];
  /** The type index of each defined function. */
  functionTypes: number[];
  importedGlobals: number;
  definedGlobals: number;
}

/** Reads the layout; custom sections are left out of `sections`. */
export function readLayout(bytes: Uint8Array): ModuleLayout {
  const layout: ModuleLayout = { sections: [], signatures: [], typeEntries: 0, functionImports: [], functionTypes: [], importedGlobals: 0, definedGlobals: 0 };
  for (const span of listSections(bytes)) {
    if (span.id === SECTION.custom) continue;
    const r = new Reader(bytes, span.start + 1);
    const size = r.u32();
    const section = { id: span.id, start: r.pos, end: r.pos + size };
    layout.sections.push(section);
    const content = new Reader(bytes, section.start, section.end);
    if (span.id === SECTION.type) readTypes(content, layout);
    else if (span.id === SECTION.import) readImports(content, layout);
    else if (span.id === SECTION.function) for (let n = content.u32(); n > 0; n--) layout.functionTypes.push(content.u32());
    else if (span.id === SECTION.global) layout.definedGlobals = content.u32();
  }
  return layout;
}

function readTypes(r: Reader, layout: ModuleLayout): void {
  layout.typeEntries = r.u32();
  for (let n = layout.typeEntries; n > 0; n--) {
    if (r.bytes[r.pos] === 0x4e) {
      r.pos++;
      for (let m = r.u32(); m > 0; m--) layout.signatures.push(readSubType(r));
    } else layout.signatures.push(readSubType(r));
  }
}

function readSubType(r: Reader): Signature | undefined {
  const b = r.bytes[r.pos];
  if (b === 0x50 || b === 0x4f) {
    r.pos++;
    for (let n = r.u32(); n > 0; n--) r.skipLeb(); // supertypes
  }
  const form = r.u8();
  if (form === 0x60) {
    const valTypes = (): number[] => {
      const types: number[] = [];
      for (let n = r.u32(); n > 0; n--) {
        types.push(r.bytes[r.pos]!);
        r.skipValType();
      }
      return types;
    };
    const params = valTypes();
    return { params, results: valTypes() };
  }
  if (form === 0x5f) {
    for (let n = r.u32(); n > 0; n--) {
      r.skipValType();
      r.skip(1); // mutability
    }
  } else if (form === 0x5e) {
    r.skipValType();
    r.skip(1);
  } else r.fail(`unknown type form 0x${form.toString(16)}`);
  return undefined;
}

function readImports(r: Reader, layout: ModuleLayout): void {
  for (let n = r.u32(); n > 0; n--) {
    const module = r.name();
    const name = r.name();
    const kind = r.u8();
    if (kind === 0) layout.functionImports.push({ module, name, type: r.u32() });
    else if (kind === 1) {
      r.skipValType();
      r.skipLimits();
    } else if (kind === 2) r.skipLimits();
    else if (kind === 3) {
      r.skipValType();
      r.skip(1);
      layout.importedGlobals++;
    } else if (kind === 4) {
      r.skip(1);
      r.skipLeb();
    } else r.fail(`unknown import kind ${kind}`);
  }
}

/** The names the module exports, read from its export section alone. */
export function readExportNames(bytes: Uint8Array): string[] {
  const names: string[] = [];
  const section = listSections(bytes).find((s) => s.id === SECTION.export);
  if (!section) return names;
  const r = new Reader(bytes, section.start + 1, section.end);
  r.u32(); // the section's size
  for (let n = r.u32(); n > 0; n--) {
    names.push(r.name());
    r.skip(1); // kind
    r.skipLeb(); // index
  }
  return names;
}
