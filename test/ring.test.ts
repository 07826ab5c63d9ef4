import { describe, expect, it } from "vitest";
import { decodeNamed, encodeNamed } from "../src/runtime/channel.js";
import { createRing, RingReader, RingWriter, type RingRecord } from "../src/runtime/ring.js";

const fill = (id: number, size: number) => new Uint8Array(size).fill(id & 0xff);

describe("shared-memory ring", () => {
  it("carries records in order across many wrap-arounds and refuses what does not fit", () => {
    const ring = createRing(1000);
    const writer = new RingWriter(ring);
    const reader = new RingReader(ring);
    const seen: RingRecord[] = [];
    let next = 1;
    for (let round = 0; round < 200; round++) {
      let written = 0;
      while (writer.write(7, next, next % 5, fill(next, (next * 37) % 150))) {
        next++;
        written++;
      }
      expect(written).toBeGreaterThan(0); // an empty ring always takes a small record
      reader.drain((r) => seen.push(r));
    }
    expect(seen).toHaveLength(next - 1);
    seen.forEach((r, i) => {
      expect(r).toMatchObject({ kind: 7, id: i + 1, extra: (i + 1) % 5 });
      expect(r.payload.length).toBe(((i + 1) * 37) % 150);
      expect(r.payload.every((b) => b === ((i + 1) & 0xff))).toBe(true);
    });
    expect(writer.write(7, next, 0, fill(next, 5000))).toBe(false); // larger than the ring
  });

  it("wakes a waiting reader and stops on close", async () => {
    const ring = createRing(256);
    const reader = new RingReader(ring);
    const wake = reader.waitAsync();
    new RingWriter(ring).write(1, 1, 0, fill(1, 3));
    await wake;
    expect(reader.read()?.id).toBe(1);
    expect(reader.read()).toBeUndefined();
    const second = reader.waitAsync();
    reader.close();
    await second;
    expect(reader.closed).toBe(true);
  });

  it("packs names and a body without MessagePack", () => {
    const packed = encodeNamed(["default", "wascc:keyvalue", "Añadir"], new Uint8Array([1, 2, 3]));
    const { names, body } = decodeNamed(packed, 3);
    expect(names).toEqual(["default", "wascc:keyvalue", "Añadir"]);
    expect([...body]).toEqual([1, 2, 3]);
  });
});
