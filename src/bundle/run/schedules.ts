/**
 * A bundle's schedules on timers: each run is method SCHED with the schedule's seed state
 * (DirectiveApp.runSchedule); its outcome goes to the log only. A tick that finds the previous
 * run of the same schedule still going is skipped and logged (ScheduleTimer).
 */
import type { Logger } from "pino";
import type { DirectiveApp } from "../../directive/app.js";
import { ScheduleTimer, type ScheduleTimerOptions } from "./schedule-timer.js";

export interface BundleScheduleOptions {
  /** First run after start; default 1000 ms, as in Atmo. */
  firstAfterMs?: number;
  /** Told how late each run started against its grid time (benchmarks). */
  onStarted?: ScheduleTimerOptions["onStarted"];
  /** Told each run's outcome (tests, benchmarks); the log has it too. */
  onOutcome?: (name: string, outcome: "ok" | "runErr" | "failed") => void;
}

export function scheduleTimer(app: DirectiveApp, logger: Logger, options: BundleScheduleOptions = {}): ScheduleTimer {
  const run = async (name: string): Promise<void> => {
    const started = performance.now();
    const outcome = await app.runSchedule(name);
    const ms = Math.round((performance.now() - started) * 10) / 10;
    if (outcome.kind === "ok") logger.info({ schedule: name, ms }, "schedule run finished");
    else if (outcome.kind === "runErr") logger.warn({ schedule: name, ms, runErr: outcome.error }, "schedule run returned an error");
    else logger.error({ schedule: name, ms, code: outcome.error.code, err: outcome.error }, "schedule run failed");
    options.onOutcome?.(name, outcome.kind);
  };
  return new ScheduleTimer(app.schedules(), run, {
    ...(options.firstAfterMs !== undefined && { firstAfterMs: options.firstAfterMs }),
    ...(options.onStarted && { onStarted: options.onStarted }),
    onSkipped: (name) => logger.warn({ schedule: name }, "schedule tick skipped: the previous run is still going"),
  });
}
