/** Typed field readers for decoded MessagePack maps; each failure names the field. */
import { WactorError } from "../errors.js";

export type WireMap = Record<string, unknown>;

const bad = (what: string, field: string, expected: string): WactorError =>
  new WactorError("WACTOR_ERR_BAD_PAYLOAD", `${what}: field '${field}' must be ${expected}`);

export function asMap(value: unknown, what: string): WireMap {
  if (value === null || typeof value !== "object" || Array.isArray(value) || value instanceof Uint8Array) {
    throw new WactorError("WACTOR_ERR_BAD_PAYLOAD", `${what}: expected a map`);
  }
  return value as WireMap;
}

export function str(map: WireMap, field: string, what: string, fallback?: string): string {
  const v = map[field];
  if (v === undefined || v === null) {
    if (fallback !== undefined) return fallback;
    throw bad(what, field, "present");
  }
  if (typeof v === "string") return v;
  if (v instanceof Uint8Array) return new TextDecoder().decode(v);
  throw bad(what, field, "a string");
}

export function int(map: WireMap, field: string, what: string, fallback?: number): number {
  const v = map[field];
  if (v === undefined || v === null) {
    if (fallback !== undefined) return fallback;
    throw bad(what, field, "present");
  }
  if (typeof v === "number" && Number.isInteger(v)) return v;
  if (typeof v === "bigint") return Number(v);
  throw bad(what, field, "an integer");
}

export function bool(map: WireMap, field: string, what: string, fallback = false): boolean {
  const v = map[field];
  if (v === undefined || v === null) return fallback;
  if (typeof v === "boolean") return v;
  throw bad(what, field, "a boolean");
}

/** Bytes fields accept `bin` and `str` (UTF-8). */
export function bytes(map: WireMap, field: string, what: string): Uint8Array {
  const v = map[field];
  if (v === undefined || v === null) return new Uint8Array(0);
  if (v instanceof Uint8Array) return v;
  if (typeof v === "string") return new TextEncoder().encode(v);
  if (Array.isArray(v) && v.every((b) => typeof b === "number" && b >= 0 && b < 256)) return Uint8Array.from(v as number[]);
  throw bad(what, field, "bytes");
}

export function strings(map: WireMap, field: string, what: string): string[] {
  const v = map[field];
  if (v === undefined || v === null) return [];
  if (Array.isArray(v) && v.every((s) => typeof s === "string")) return v as string[];
  throw bad(what, field, "a list of strings");
}

export function stringMap(map: WireMap, field: string, what: string): Record<string, string> {
  const v = map[field];
  if (v === undefined || v === null) return {};
  const m = asMap(v, `${what}.${field}`);
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(m)) {
    if (typeof val === "string") out[k] = val;
    else if (Array.isArray(val) && val.every((s) => typeof s === "string")) out[k] = val.join(", ");
    else throw bad(what, `${field}.${k}`, "a string");
  }
  return out;
}
