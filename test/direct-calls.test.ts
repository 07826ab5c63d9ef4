/**
 * The direct-call policy alone (src/runtime/metered/direct-calls.ts); the pool's tests
 * (metered-direct.test.ts) run it with real guests.
 */
import { describe, expect, it } from "vitest";
import { DIRECT_RETRY_AFTER, DirectCalls } from "../src/runtime/metered/direct-calls.js";

function policy(allowed = true): { calls: DirectCalls; events: string[] } {
  const events: string[] = [];
  const calls = new DirectCalls(allowed, { onDirectOff: (reason) => events.push(`off:${reason}`), onDirectOn: () => events.push("on") });
  return { calls, events };
}

describe("direct-call policy", () => {
  it("turns off at the first host call", () => {
    const { calls, events } = policy();
    calls.givenUp("wait");
    expect(calls.on).toBe(false);
    expect(events).toEqual(["off:wait"]);
  });

  it("turns off at the third overrun, unless a thousand finished calls came between two of them", () => {
    const { calls, events } = policy();
    calls.givenUp("slice");
    for (let i = 0; i < 1000; i++) calls.finished();
    calls.givenUp("slice");
    calls.givenUp("slice");
    expect(calls.on).toBe(true);
    calls.givenUp("slice");
    expect(calls.on).toBe(false);
    expect(events).toEqual(["off:slice"]);
  });

  it("turns on again after DIRECT_RETRY_AFTER serve-loop invocations in a row that finished at once", () => {
    const { calls, events } = policy();
    calls.givenUp("wait");
    for (let i = 0; i < DIRECT_RETRY_AFTER - 1; i++) calls.servedOnLoop(true);
    calls.servedOnLoop(false); // one that suspended: the count starts again
    for (let i = 0; i < DIRECT_RETRY_AFTER - 1; i++) calls.servedOnLoop(true);
    expect(calls.on).toBe(false);
    calls.servedOnLoop(true);
    expect(calls.on).toBe(true);
    expect(events).toEqual(["off:wait", "on"]);
    // On the same footing as at first: the overrun count starts from nothing.
    calls.givenUp("slice");
    calls.givenUp("slice");
    expect(calls.on).toBe(true);
  });

  it("never turns on where it is not allowed", () => {
    const { calls, events } = policy(false);
    expect(calls.on).toBe(false);
    for (let i = 0; i < DIRECT_RETRY_AFTER * 2; i++) calls.servedOnLoop(true);
    expect(calls.on).toBe(false);
    expect(events).toEqual([]);
  });
});
