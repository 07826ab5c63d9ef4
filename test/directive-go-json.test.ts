/**
 * goJson (src/directive/go-json.ts) writes what Go's encoding/json writes for a JSON.parse
 * result: keys sorted byte-wise at every level, `<`, `>`, `&`, U+2028 and U+2029 escaped, the
 * rest as JSON.stringify. Checked against a plain reference on fixed and random values (the
 * fast path for values whose keys are in order already must not change a byte).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { goJson } from "../src/directive/go-json.js";

const ESCAPES: Record<string, string> = { "<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029" };
const str = (s: string): string => JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => ESCAPES[c]!);

function reference(value: unknown): string {
  if (value === null || typeof value !== "object") return typeof value === "string" ? str(value) : JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(reference).join(",")}]`;
  const keys = Object.keys(value).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${keys.map((k) => `${str(k)}:${reference((value as Record<string, unknown>)[k])}`).join(",")}}`;
}

describe("goJson", () => {
  it.each([
    ['{"name":"p1"}', '{"name":"p1"}'],
    ['{"b":1,"a":[{"d":true,"c":null}]}', '{"a":[{"c":null,"d":true}],"b":1}'],
    ['{"9":"x","10":"y"}', '{"10":"y","9":"x"}'],
    ['{"a<":"x&y","z":"\u2028"}', '{"a\\u003c":"x\\u0026y","z":"\\u2028"}'],
    ['[1.5,-0,1e21,"<>"]', '[1.5,0,1e+21,"\\u003c\\u003e"]'],
  ])("%s", (input, expected) => {
    expect(goJson(JSON.parse(input))).toBe(expected);
  });

  it("matches the reference on random JSON values", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const parsed: unknown = JSON.parse(JSON.stringify(value));
        expect(goJson(parsed)).toBe(reference(parsed));
      }),
      { numRuns: 500 },
    );
  });
});
