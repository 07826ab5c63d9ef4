/** The chaos run's invariants, checked on what the run saw, and its report as text. */
import type { HostExit } from "./lattice.js";
import type { LoadResult } from "./load.js";
import { describe, type Fault } from "./nemesis.js";

export interface HostMemory {
  /** Slot name and incarnation, e.g. `w2#3`. */
  host: string;
  firstMiB: number;
  lastMiB: number;
  peakMiB: number;
}

export interface Verdict {
  invariant: string;
  ok: boolean;
  detail: string;
}

interface Seen {
  options: { maxRssMiB: number; recoveryLimitMs: number; deadlineMs: number };
  faults: Fault[];
  load: LoadResult;
  finalCounter: number;
  hostExits: HostExit[];
  memory: HostMemory[];
}

export function verdicts(seen: Seen): Verdict[] {
  const { options, faults, load, finalCounter, hostExits, memory } = seen;
  const acked = load.acknowledged;
  const distinct = new Set(acked).size;
  const highest = acked.reduce((a, b) => Math.max(a, b), 0);
  const lost = Math.max(0, acked.length - finalCounter);
  const slow = faults.filter((f) => f.recoveredAfterMs === undefined || f.recoveredAfterMs > options.recoveryLimitMs);
  const peak = memory.reduce((a, m) => Math.max(a, m.peakMiB), 0);
  return [
    {
      invariant: "no acknowledged increment lost (Redis counter >= increments acknowledged with 200)",
      // Every 200 carries the counter after its increment: distinct values, none above the final count.
      ok: acked.length > 0 && lost === 0 && distinct === acked.length && highest <= finalCounter,
      detail: `${acked.length} acknowledged, counter ${finalCounter}, lost ${lost}, duplicate values ${acked.length - distinct}, highest acknowledged ${highest}`,
    },
    {
      invariant: `no request waits past its deadline (${options.deadlineMs} ms)`,
      ok: load.pastDeadline.length === 0,
      detail: `${load.pastDeadline.length} of ${load.sent} past it; slowest answer ${load.slowestMs} ms`,
    },
    {
      invariant: `the application deployed and serving within ${options.recoveryLimitMs / 1000} s of each fault's end`,
      ok: slow.length === 0,
      detail: slow.length === 0 ? `${faults.length} faults, worst ${worstRecovery(faults)} ms` : `late: ${slow.map(describe).join("; ")}`,
    },
    {
      invariant: "no host process exits on its own",
      ok: hostExits.length === 0,
      detail:
        hostExits.length === 0 ? "none" : hostExits.map((e) => `${e.name}#${e.incarnation} exited (code ${e.code}, signal ${e.signal}): ${e.tail}`).join("\n"),
    },
    {
      invariant: `RSS of every host <= ${options.maxRssMiB} MiB`,
      ok: memory.length > 0 && peak <= options.maxRssMiB,
      detail: `peak ${peak.toFixed(0)} MiB`,
    },
  ];
}

export function worstRecovery(faults: Fault[]): number | undefined {
  const times = faults.map((f) => f.recoveredAfterMs ?? Infinity);
  return times.length === 0 ? undefined : Math.max(...times);
}

/** The longest stretch from a kill until the application was whole again (the restart's time included). */
export function longestOutage(faults: Fault[]): number | undefined {
  const times = faults.map((f) => (f.recoveredAfterMs === undefined ? Infinity : f.restartedAfterMs + f.recoveredAfterMs));
  return times.length === 0 ? undefined : Math.max(...times);
}

/**
 * Errors by code, each split by the kind of the last fault before it was answered (a
 * request's answer can come up to its deadline after the kill), e.g. `redis 1130`.
 */
export function errorsByFault(failures: LoadResult["failures"], faults: Fault[], runStart: number): Array<{ code: string; count: number; byKind: string }> {
  const rows = new Map<string, Map<string, number>>();
  for (const f of failures) {
    const t = f.at - runStart;
    const cause = [...faults].reverse().find((x) => x.at <= t)?.kind ?? "before any fault";
    const byKind = rows.get(f.code) ?? new Map<string, number>();
    byKind.set(cause, (byKind.get(cause) ?? 0) + 1);
    rows.set(f.code, byKind);
  }
  return [...rows]
    .map(([code, byKind]) => ({
      code,
      count: [...byKind.values()].reduce((a, b) => a + b, 0),
      byKind: [...byKind]
        .sort((a, b) => b[1] - a[1])
        .map(([k, n]) => `${k} ${n}`)
        .join(", "),
    }))
    .sort((a, b) => b.count - a.count);
}

interface Reported extends Seen {
  options: Seen["options"] & { minutes: number; seed: number; clients: number; gapMs: [number, number] };
  durationMs: number;
  runStart: number;
  interrupted: boolean;
  loggedCodes: Map<string, number>;
  verdicts: Verdict[];
  passed: boolean;
}

const byCount = (m: Map<string, number>): string[] => [...m].sort((a, b) => b[1] - a[1]).map(([k, n]) => `  ${n.toString().padStart(7)}  ${k}`);

export function formatReport(r: Reported): string {
  const kinds = new Set(r.faults.map((f) => f.kind));
  const lines = [
    `chaos: ${(r.durationMs / 60_000).toFixed(1)} min, seed ${r.options.seed}, ${r.options.clients} clients, a fault every ${r.options.gapMs[0] / 1000}–${r.options.gapMs[1] / 1000} s`,
    "",
    `faults (${r.faults.length}, kinds: ${[...kinds].join(", ") || "none"}):`,
    ...r.faults.map((f, i) => `  ${String(i + 1).padStart(2)}. ${describe(f)}`),
    `worst recovery: ${worstRecovery(r.faults) ?? "-"} ms after a restart; longest from a kill to whole again: ${longestOutage(r.faults) ?? "-"} ms`,
    "",
    `requests: ${r.load.sent} sent, ${r.load.acknowledged.length} acknowledged with 200, final counter ${r.finalCounter}`,
    "errors answered to clients, by catalog code (and the kind of the last fault before each):",
    ...(r.load.errors.size
      ? errorsByFault(r.load.failures, r.faults, r.runStart).map((e) => `  ${e.count.toString().padStart(7)}  ${e.code} (${e.byKind})`)
      : ["  none"]),
    "codes in the hosts' logs (warn and above):",
    ...(r.loggedCodes.size ? byCount(r.loggedCodes) : ["  none"]),
    "host memory (RSS MiB, first / last / peak per process):",
    ...r.memory.map((m) => `  ${m.host.padEnd(8)} ${m.firstMiB.toFixed(0)} / ${m.lastMiB.toFixed(0)} / ${m.peakMiB.toFixed(0)}`),
    "",
    "invariants:",
    ...r.verdicts.map((v) => `  ${v.ok ? "PASS" : "FAIL"}  ${v.invariant}: ${v.detail}`),
    "",
    r.interrupted ? "chaos: INTERRUPTED (not a full run)" : r.passed ? "chaos: PASS" : "chaos: FAIL",
  ];
  return lines.join("\n");
}
