/**
 * `npm run chaos [-- --minutes 10 --seed 42]`: the lattice under steady HTTP load while a
 * nemesis SIGKILLs and restarts a host, a NATS node or Redis at random every 10–30 s; prints
 * each fault with its recovery, the errors by catalog code and the invariants' verdicts, and
 * exits 1 when one fails. What it runs and checks: docs/reliability.md (Chaos).
 */
import { parseArgs } from "node:util";
import { formatReport } from "./chaos/report.js";
import { runChaos } from "./chaos/run.js";

const { values } = parseArgs({
  options: {
    minutes: { type: "string", default: "2" },
    seed: { type: "string" },
    faults: { type: "string" },
    clients: { type: "string", default: "4" },
    "deadline-ms": { type: "string", default: "20000" },
    "max-rss-mib": { type: "string", default: "512" },
  },
});
const number = (name: string, text: string | undefined, min: number): number => {
  const n = Number(text);
  if (!Number.isFinite(n) || n < min) {
    process.stderr.write(`chaos: --${name} '${text}' must be a number >= ${min}\n`);
    process.exit(2);
  }
  return n;
};
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : number("seed", values.seed, 0);
const started = Date.now();
// Ctrl-C ends the run early but still stops every process it started (and reports what it saw).
const interrupt = new AbortController();
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => interrupt.abort());
const stamp = (): string => `[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s]`;
const report = await runChaos({
  minutes: number("minutes", values.minutes, 0.5),
  seed,
  clients: number("clients", values.clients, 1),
  deadlineMs: number("deadline-ms", values["deadline-ms"], 1000),
  maxRssMiB: number("max-rss-mib", values["max-rss-mib"], 16),
  ...(values.faults !== undefined && { maxFaults: number("faults", values.faults, 1) }),
  signal: interrupt.signal,
  log: (line) => process.stdout.write(`${stamp()} ${line}\n`),
});
process.stdout.write(`\n${formatReport(report)}\n`);
process.exit(report.passed ? 0 : 1);
