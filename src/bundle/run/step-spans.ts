/**
 * A span per step of a bundle's sequence (`step fn`, `step group`, `step forEach`), under the
 * request's span; the functions' invocation spans nest under it, so one trace shows each
 * step's time and what it called. Only made when the host traces.
 */
import type { StepObserver } from "../../directive/step-context.js";
import { ATTR, SPAN } from "../../tracing/names.js";
import type { Tracing } from "../../tracing/tracing.js";

export function stepSpans(tracing: Tracing, identifier: string): StepObserver {
  return (step, run) =>
    tracing.traced(
      SPAN.bundleStep(step.kind),
      "internal",
      { [ATTR.bundle]: identifier, [ATTR.stepIndex]: step.index, [ATTR.stepFunctions]: step.fns, [ATTR.requestId]: step.requestId },
      run,
    );
}
