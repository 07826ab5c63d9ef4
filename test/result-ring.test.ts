import { describe, expect, it } from "vitest";
import { createResultRing, ResultRingReader, ResultRingWriter, type Outcome } from "../src/runtime/result-ring.js";

const outcome = (id: number, size: number): Outcome => ({ id, kind: id % 2 ? "ok" : "guest-error", payload: new Uint8Array(size).fill(id & 0xff), memoryBytes: 65536 * 3 });

describe("result ring", () => {
  it("carries results in order across many wrap-arounds and refuses what does not fit", () => {
    const ring = createResultRing(1000);
    const writer = new ResultRingWriter(ring);
    const reader = new ResultRingReader(ring);
    const seen: Outcome[] = [];
    let next = 1;
    for (let round = 0; round < 200; round++) {
      let written = 0;
      while (writer.write(outcome(next, (next * 37) % 150))) {
        next++;
        written++;
      }
      expect(written).toBeGreaterThan(0); // an empty ring always takes a small record
      reader.drain((o) => seen.push(o));
    }
    expect(seen).toHaveLength(next - 1);
    seen.forEach((o, i) => {
      expect(o.id).toBe(i + 1);
      expect(o.kind).toBe(o.id % 2 ? "ok" : "guest-error");
      expect(o.payload.length).toBe((o.id * 37) % 150);
      expect(o.payload.every((b) => b === (o.id & 0xff))).toBe(true);
      expect(o.memoryBytes).toBe(65536 * 3);
    });
    expect(writer.write(outcome(next, 5000))).toBe(false); // larger than the ring: caller posts it
  });

  it("wakes a waiting reader and stops on close", async () => {
    const ring = createResultRing(256);
    const reader = new ResultRingReader(ring);
    const wake = reader.wait();
    expect(wake).toBeInstanceOf(Promise);
    new ResultRingWriter(ring).write(outcome(1, 3));
    await wake;
    const got: number[] = [];
    reader.drain((o) => got.push(o.id));
    expect(got).toEqual([1]);
    const second = reader.wait();
    reader.close();
    await second;
    expect(reader.closed).toBe(true);
  });
});
