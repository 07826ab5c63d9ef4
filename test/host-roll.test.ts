/** A host that misses one reconcile round keeps its last answer; two in a row, it is gone. */
import { describe, expect, it } from "vitest";
import { HostRoll } from "../src/deploy/host-roll.js";
import type { HostSummary } from "../src/lattice/wire/control-types.js";

const host = (id: string, startedAt: string, actors: string[] = []): HostSummary =>
  ({ id, startedAt, actors: actors.map((key) => ({ key })) }) as unknown as HostSummary;

describe("HostRoll", () => {
  it("keeps a host that misses one round with its last answer, drops it after two", () => {
    const roll = new HostRoll();
    const a = host("A", "2026-12-02T10:00:00Z");
    const b = host("B", "2026-12-02T10:00:01Z", ["M1"]);
    expect(roll.plan([b, a]).map((h) => h.id)).toEqual(["A", "B"]);
    const kept = roll.plan([a]);
    expect(kept.map((h) => h.id)).toEqual(["A", "B"]);
    expect(kept[1]).toBe(b); // its last answer, actors included
    expect(roll.plan([a]).map((h) => h.id)).toEqual(["A"]);
    expect(roll.plan([a]).map((h) => h.id)).toEqual(["A"]); // gone stays gone
  });

  it("a host that answers again after one miss is counted afresh", () => {
    const roll = new HostRoll();
    const a = host("A", "1");
    const b = host("B", "2");
    roll.plan([a, b]);
    roll.plan([a]); // B missed once: kept
    expect(roll.plan([a, b]).map((h) => h.id)).toEqual(["A", "B"]);
    expect(roll.plan([a]).map((h) => h.id)).toEqual(["A", "B"]); // a new single miss is forgiven again
  });
});
