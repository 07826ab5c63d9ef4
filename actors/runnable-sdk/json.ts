// Just enough JSON for small runnables: quoting (shared with the actor SDK) and reading one
// top-level string field. AssemblyScript's standard library has no JSON.
export { jsonString } from "../sdk/json";

/** The string value of `key` in a JSON object text; null when missing, not a string, or not an object. */
export function jsonStringField(json: string, key: string): string | null {
  let i = skipSpace(json, 0);
  if (i >= json.length || json.charCodeAt(i) != 0x7b /* { */) return null;
  i = skipSpace(json, i + 1);
  while (i < json.length && json.charCodeAt(i) == 0x22 /* " */) {
    const name = readString(json, i);
    if (name == null) return null;
    i = skipSpace(json, lastEnd);
    if (i >= json.length || json.charCodeAt(i) != 0x3a /* : */) return null;
    i = skipSpace(json, i + 1);
    if (name == key) return i < json.length && json.charCodeAt(i) == 0x22 ? readString(json, i) : null;
    i = skipSpace(json, skipValue(json, i));
    if (i >= json.length || json.charCodeAt(i) != 0x2c /* , */) return null;
    i = skipSpace(json, i + 1);
  }
  return null;
}

/** Where the last readString stopped (just past the closing quote). */
let lastEnd = 0;

function skipSpace(s: string, i: i32): i32 {
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c != 0x20 && c != 0x0a && c != 0x0d && c != 0x09) break;
    i++;
  }
  return i;
}

/** Decodes the string literal starting at s[i] (a quote); null if it is malformed. */
function readString(s: string, i: i32): string | null {
  let out = "";
  i++;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c == 0x22) {
      lastEnd = i + 1;
      return out;
    }
    if (c != 0x5c /* \ */) {
      out += String.fromCharCode(c);
      i++;
      continue;
    }
    if (i + 1 >= s.length) return null;
    const e = s.charCodeAt(i + 1);
    if (e == 0x75 /* u */) {
      if (i + 6 > s.length) return null;
      const code = <i32>parseInt(s.substring(i + 2, i + 6), 16);
      out += String.fromCharCode(code);
      i += 6;
      continue;
    }
    if (e == 0x6e) out += "\n";
    else if (e == 0x74) out += "\t";
    else if (e == 0x72) out += "\r";
    else if (e == 0x62) out += "\b";
    else if (e == 0x66) out += "\f";
    else out += String.fromCharCode(e); // \" \\ \/
    i += 2;
  }
  return null;
}

/** The index just past the JSON value starting at s[i] (strings, nesting and scalars). */
function skipValue(s: string, i: i32): i32 {
  let depth = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c == 0x22) {
      if (readString(s, i) == null) return s.length;
      i = lastEnd;
      if (depth == 0) return i;
      continue;
    }
    if (c == 0x7b || c == 0x5b) depth++;
    else if (c == 0x7d || c == 0x5d) {
      if (depth == 0) return i; // the end of the enclosing object
      depth--;
      if (depth == 0) return i + 1;
    } else if (depth == 0 && c == 0x2c) return i;
    i++;
  }
  return i;
}
