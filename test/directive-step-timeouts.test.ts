/**
 * Step timeouts (src/directive/step-timeouts.ts): one timer per timeout length, steps leaving
 * the list when they end. What must hold: a step expires once, not before its time; an ended
 * step never expires, whatever its place in the list; others behind it still expire.
 */
import { describe, expect, it } from "vitest";
import { afterTimeout } from "../src/directive/step-timeouts.js";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe("step timeouts", () => {
  it("expires each live step once, no sooner than its length, in the order the steps started", async () => {
    const fired: Array<[string, number]> = [];
    const start = performance.now();
    const at = (name: string) => () => fired.push([name, performance.now() - start]);
    const first = afterTimeout(40, at("first"));
    const second = afterTimeout(40, at("second"));
    afterTimeout(40, at("third"));
    first.cancel(); // the oldest ends: the timer armed for it must still reach the others
    await sleep(5);
    const fourth = afterTimeout(40, at("fourth"));
    second.cancel();
    await sleep(120);
    expect(fired.map(([name]) => name)).toEqual(["third", "fourth"]);
    for (const [, ms] of fired) expect(ms).toBeGreaterThanOrEqual(39);
    fourth.cancel(); // after it expired: nothing happens
    await sleep(10);
    expect(fired).toHaveLength(2);
  });

  it("keeps lengths apart: a short step expires before a long one started earlier", async () => {
    const fired: string[] = [];
    const long = afterTimeout(300, () => fired.push("long"));
    afterTimeout(20, () => fired.push("short"));
    await sleep(80);
    expect(fired).toEqual(["short"]);
    long.cancel();
    await sleep(300);
    expect(fired).toEqual(["short"]);
  });
});
