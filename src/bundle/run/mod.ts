/** Running a loaded bundle on a host (docs/directive.md, "Running a bundle"). */
export { BundleRunner, type BundleRunnerOptions, type RunningBundleInfo } from "./bundle-runner.js";
export { bindingValues, BUNDLE_CAPABILITIES, type BundleCapabilityOptions } from "./capability-bindings.js";
export { ScheduleTimer, type ScheduleSpec, type ScheduleTimerOptions } from "./schedule-timer.js";
export type { StartedFunction } from "./functions.js";
