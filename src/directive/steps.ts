/** The three shapes a step may have; anything else is invalid. */
import type { Step } from "./types.js";

export type StepKind = "fn" | "group" | "forEach";

export function stepKind(step: Step): StepKind | undefined {
  const hasFn = step.fn !== undefined;
  if (hasFn && step.group === undefined && step.forEach === undefined) return "fn";
  if (!hasFn && step.group !== undefined && step.group.length > 0 && step.forEach === undefined) return "group";
  if (!hasFn && step.group === undefined && step.forEach !== undefined) return "forEach";
  return undefined;
}

/** The state key a step's result is stored under: `as`, else the reference as written. */
export function resultKey(callable: { fn?: string | undefined; as?: string | undefined }): string {
  return callable.as ?? callable.fn ?? "";
}
