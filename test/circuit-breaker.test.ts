import { describe, expect, it } from "vitest";
import { WactorError } from "../src/errors.js";
import { CircuitBreaker } from "../src/runtime/circuit-breaker.js";

const trap = new WactorError("WACTOR_ERR_TRAP");
const guestError = new WactorError("WACTOR_ERR_GUEST_ERROR");

describe("circuit breaker", () => {
  it("opens after N hard failures in a row, probes after the pause, and doubles the pause on a failed probe", () => {
    let now = 0;
    const breaker = new CircuitBreaker({ threshold: 3, baseBackoffMs: 1000, maxBackoffMs: 4000, now: () => now });
    breaker.record(trap);
    breaker.record(trap);
    breaker.check(); // still closed after 2
    breaker.record(trap);
    expect(() => breaker.check()).toThrowError(expect.objectContaining({ code: "WACTOR_ERR_ACTOR_BACKOFF" }));
    now = 1000;
    breaker.check(); // the pause is over: one probe goes through
    breaker.record(trap); // ...and fails: open for 2 s
    now = 2999;
    expect(() => breaker.check()).toThrow();
    now = 3000;
    breaker.check();
    breaker.record(undefined); // the probe succeeds: closed, pause back to 1 s
    breaker.record(trap);
    breaker.record(trap);
    breaker.check();
  });

  it("does not count guest errors or interleaved successes", () => {
    const breaker = new CircuitBreaker({ threshold: 2, now: () => 0 });
    for (let i = 0; i < 10; i++) {
      breaker.record(guestError);
      breaker.record(trap);
      breaker.record(undefined);
    }
    expect(breaker.open).toBe(false);
    breaker.check();
  });
});
