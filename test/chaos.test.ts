/**
 * The chaos run (bench/chaos), shortened for the suite: a 3-node NATS cluster, Redis, four
 * `wactor up --lattice` processes and kvcounter behind HTTP under steady load, while the
 * nemesis SIGKILLs and restarts a host, a NATS node and Redis — three faults, one of each kind
 * (the kinds come from a shuffled bag), 5–10 s apart, about a minute of faults rather than the
 * two minutes asked: the run takes both cores of the test machine, and the whole suite has 10
 * minutes. Every invariant must hold: nothing acknowledged lost, no request past its
 * deadline, the application back within 10 s of each fault, no host exiting on its own, host
 * RSS bounded. `npm run chaos -- --minutes 10` is the long run (10–30 s between faults).
 */
import { describe, expect, it } from "vitest";
import { formatReport } from "../bench/chaos/report.js";
import { runChaos } from "../bench/chaos/run.js";
import { testLogger } from "./helpers/test-logger.js";

const logger = testLogger("chaos");

describe("chaos: mixed faults under load", () => {
  it("survives a host, a NATS node and Redis killed and restarted, with nothing acknowledged lost", { timeout: 600_000 }, async () => {
    const report = await runChaos({ minutes: 3, maxFaults: 3, gapMs: [5_000, 10_000], seed: 20261228, log: (line) => logger.info(line) });
    const text = formatReport(report);
    logger.info(text);
    // Real faults, of every kind.
    expect(report.faults.length, text).toBeGreaterThanOrEqual(3);
    expect(new Set(report.faults.map((f) => f.kind)), text).toEqual(new Set(["host", "nats", "redis"]));
    expect(report.load.acknowledged.length, text).toBeGreaterThan(100);
    // Each invariant by name, so a failure says which (its detail is in the message).
    for (const v of report.verdicts) expect({ invariant: v.invariant, ok: v.ok, detail: v.detail }).toEqual({ invariant: v.invariant, ok: true, detail: v.detail });
    expect(report.passed).toBe(true);
  });
});
