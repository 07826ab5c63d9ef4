/** A bundle's schedule timers: on their grid, never overlapping a run still going. */
import { describe, expect, it } from "vitest";
import { ScheduleTimer } from "../src/bundle/run/schedule-timer.js";
import { eventually } from "./helpers/eventually.js";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe("ScheduleTimer", () => {
  it("runs each schedule repeatedly, first after firstAfterMs, reporting how late each start was", async () => {
    const runs: string[] = [];
    const late: number[] = [];
    const timer = new ScheduleTimer(
      [
        { name: "a", periodMs: 20 },
        { name: "b", periodMs: 30 },
      ],
      async (name) => void runs.push(name),
      { firstAfterMs: 10, onStarted: (_n, ms) => late.push(ms) },
    );
    timer.start();
    await eventually(() => expect(runs.filter((n) => n === "a").length).toBeGreaterThanOrEqual(3));
    await timer.stop();
    const count = runs.length;
    expect(runs).toContain("b");
    expect(late).toHaveLength(count); // every start reported, with its lateness
    expect(late.every((ms) => Number.isFinite(ms) && ms >= 0)).toBe(true);
    await sleep(80);
    expect(runs.length).toBe(count); // stopped: nothing more runs
  });

  it("never overlaps a run still going: its ticks are skipped, not queued", async () => {
    let active = 0;
    let most = 0;
    let runs = 0;
    let skipped = 0;
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    const timer = new ScheduleTimer(
      [{ name: "slow", periodMs: 10 }],
      async () => {
        active++;
        most = Math.max(most, active);
        runs++;
        await slow;
        active--;
      },
      { firstAfterMs: 0, onSkipped: () => skipped++ },
    );
    timer.start();
    await eventually(() => expect(skipped).toBeGreaterThanOrEqual(3));
    expect(runs).toBe(1);
    release();
    await eventually(() => expect(runs).toBeGreaterThanOrEqual(2));
    await timer.stop();
    expect(most).toBe(1);
  });

  it("a failing run does not stop the schedule", async () => {
    let runs = 0;
    const timer = new ScheduleTimer(
      [{ name: "f", periodMs: 10 }],
      async () => {
        runs++;
        throw new Error("step failed");
      },
      { firstAfterMs: 0 },
    );
    timer.start();
    await eventually(() => expect(runs).toBeGreaterThanOrEqual(3));
    await timer.stop();
  });

  it("refuses a period that is not positive", () => {
    expect(() => new ScheduleTimer([{ name: "z", periodMs: 0 }], async () => {})).toThrow(/period/);
  });
});
