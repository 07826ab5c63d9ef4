/**
 * copyOut (src/runtime/copy-out.ts): a copy out of guest memory that is what `slice` gave,
 * without an ArrayBuffer of its own per copy.
 */
import { describe, expect, it } from "vitest";
import { copyOut } from "../src/runtime/copy-out.js";
import { ownBuffer } from "../src/runtime/owned-bytes.js";

const memory = (): Uint8Array => {
  const bytes = new Uint8Array(new WebAssembly.Memory({ initial: 1 }).buffer);
  for (let i = 0; i < 256; i++) bytes[i] = i;
  return bytes;
};

describe("copyOut", () => {
  it("copies the bytes: the guest writing its memory afterwards does not change them", () => {
    const mem = memory();
    const copy = copyOut(mem, 10, 200);
    mem.fill(0, 0, 256);
    expect(copy.length).toBe(200);
    expect(copy[0]).toBe(10);
    expect(copy[199]).toBe(209);
    expect(copy).toBeInstanceOf(Uint8Array);
    expect(Buffer.isBuffer(copy)).toBe(false);
  });

  it("clamps a range past the memory's end as slice does, and never shows bytes it did not copy", () => {
    const mem = memory();
    expect(copyOut(mem, mem.length - 4, 100)).toEqual(mem.slice(mem.length - 4, mem.length + 96));
    expect(copyOut(mem, mem.length + 10, 5).length).toBe(0);
    expect(copyOut(mem, 0, 0).length).toBe(0);
  });

  it("gives code that copies a payload a copy, not another view of the shared slab", () => {
    const mem = memory();
    const copy = copyOut(mem, 0, 64);
    const again = copy.slice();
    again[0] = 99;
    expect(copy[0]).toBe(0);
    // Small copies share a slab with other bytes: what goes to a worker is copied to a buffer of its own.
    const own = ownBuffer(copy);
    expect(own.byteLength).toBe(64);
    expect(own.buffer.byteLength).toBe(64);
  });
});
