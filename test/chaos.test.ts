/**
 * The chaos run (bench/chaos), shortened for the suite: a 3-node NATS cluster, Redis, four
 * `wactor up --lattice` processes and kvcounter behind HTTP under steady load, while the
 * nemesis SIGKILLs and restarts a host, a NATS node and Redis — three faults, one of each kind
 * (the kinds come from a shuffled bag), 5–10 s apart, under a minute of faults rather than the
 * two minutes asked: the run takes both cores of the test machine, and the whole suite has 10
 * minutes. Every invariant must hold: nothing acknowledged lost, no request past its
 * deadline, the application back within 10 s of each fault, no host exiting on its own, host
 * RSS bounded. `npm run chaos -- --minutes 10` is the long run (10–30 s between faults).
 */
import { describe, expect, it } from "vitest";
import type { HostExit } from "../bench/chaos/lattice.js";
import type { LoadResult } from "../bench/chaos/load.js";
import type { Fault } from "../bench/chaos/nemesis.js";
import { formatReport, verdicts } from "../bench/chaos/report.js";
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
    for (const v of report.verdicts)
      expect({ invariant: v.invariant, ok: v.ok, detail: v.detail }).toEqual({ invariant: v.invariant, ok: true, detail: v.detail });
    expect(report.passed).toBe(true);
  });

  it("fails each invariant on what breaks it: a lost or repeated increment, a late answer or recovery, a host exit, RSS over the bound", () => {
    const options = { maxRssMiB: 512, recoveryLimitMs: 10_000, deadlineMs: 20_000 };
    const fault: Fault = { kind: "host", target: "w1", role: "worker", at: 1000, downMs: 500, restartedAfterMs: 2000, recoveredAfterMs: 100 };
    const load: LoadResult = { sent: 3, acknowledged: [1, 2, 3], errors: new Map(), failures: [], pastDeadline: [], slowestMs: 10 };
    const hostExits: HostExit[] = [];
    const memory = [{ host: "w1#1", firstMiB: 100, lastMiB: 100, peakMiB: 100 }];
    const healthy = { options, faults: [fault], load, finalCounter: 3, hostExits, memory };
    const failing = (seen: Partial<typeof healthy>): string[] =>
      verdicts({ ...healthy, ...seen })
        .filter((v) => !v.ok)
        .map((v) => v.invariant.split(" (")[0]!.split(":")[0]!);
    expect(failing({})).toEqual([]);
    expect(failing({ finalCounter: 2 })).toEqual(["no acknowledged increment lost"]); // Redis lost a write it acknowledged
    expect(failing({ load: { ...load, acknowledged: [1, 2, 2] } })).toEqual(["no acknowledged increment lost"]);
    expect(failing({ load: { ...load, pastDeadline: [5000] } })).toEqual(["no request waits past its deadline"]);
    expect(failing({ faults: [{ ...fault, recoveredAfterMs: 10_001 }] })).toEqual(["the application deployed and serving within 10 s of each fault's end"]);
    expect(failing({ faults: [{ ...fault, recoveredAfterMs: undefined }] })).toEqual(["the application deployed and serving within 10 s of each fault's end"]);
    expect(failing({ hostExits: [{ name: "edge", incarnation: 1, code: 1, signal: null, at: 0, tail: "" }] })).toEqual(["no host process exits on its own"]);
    expect(failing({ memory: [{ ...memory[0]!, peakMiB: 513 }] })).toEqual(["RSS of every host <= 512 MiB"]);
  });
});
