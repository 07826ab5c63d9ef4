/**
 * JSON as Go's encoding/json writes it, where Atmo's bytes are observable: object keys sorted,
 * `<`, `>`, `&`, U+2028 and U+2029 escaped as \u003c…; numbers as float64 (JavaScript's
 * shortest form matches Go's for the values JSON.parse can produce).
 */

const GO_ESCAPES: Record<string, string> = { "<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029" };

const GO_ESCAPED = /[<>&\u2028\u2029]/;

export function goString(text: string): string {
  // Most strings have nothing to escape: tested before a replace that would copy them.
  return goEscaped(JSON.stringify(text));
}

/** Go's escapes applied to JSON text (they only occur inside its strings). */
function goEscaped(json: string): string {
  return GO_ESCAPED.test(json) ? json.replace(/[<>&\u2028\u2029]/g, (c) => GO_ESCAPES[c]!) : json;
}

/** Whether every object in a JSON.parse result has its keys in Go's (byte-wise sorted) order already. */
function keysInOrder(value: unknown): boolean {
  if (value === null || typeof value !== "object") return true;
  if (Array.isArray(value)) return value.every(keysInOrder);
  let previous: string | undefined;
  for (const key of Object.keys(value)) {
    if (previous !== undefined && !(previous < key)) return false;
    if (!keysInOrder((value as Record<string, unknown>)[key])) return false;
    previous = key;
  }
  return true;
}

/**
 * A JSON.parse result re-serialized compactly with Go's key order and escaping. Values whose
 * keys are in order already (a forEach element's small objects, mostly) are written by
 * JSON.stringify and escaped after: ~4x faster than building the text here.
 */
export function goJson(value: unknown): string {
  if (keysInOrder(value)) return goEscaped(JSON.stringify(value));
  return goJsonSorted(value);
}

function goJsonSorted(value: unknown): string {
  if (value === null || typeof value === "boolean" || typeof value === "number") return JSON.stringify(value);
  if (typeof value === "string") return goString(value);
  if (Array.isArray(value)) return `[${value.map(goJsonSorted).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${goString(k)}:${goJsonSorted(v)}`).join(",")}}`;
}

export interface RunErr {
  code: number;
  message: string;
}

/** Reactr's RunErr as JSON: `code` first, both fields omitted when empty (Go's omitempty). */
export function runErrJson(error: RunErr): string {
  const fields: string[] = [];
  if (error.code !== 0) fields.push(`"code":${error.code}`);
  if (error.message !== "") fields.push(`"message":${goString(error.message)}`);
  return `{${fields.join(",")}}`;
}
