/**
 * Directive validation, run once at load: every check of Atmo's validator, collected (nothing
 * stops early) and located. Where Atmo's behaviour is a quirk, the documented intent is
 * followed (docs/directive.md, "Differences from Atmo 0.2.3").
 */
import { DirectiveError } from "./problems.js";
import { isGoSemver, RESERVED_IN_NAMES, resolveReference } from "./references.js";
import { routeProblems } from "./routes.js";
import { stepKind } from "./steps.js";
import type { Directive, DirectiveProblem, OnErr, Step } from "./types.js";

const ACTIONS = new Set(["continue", "return"]);

interface CallableView {
  fn: string;
  as?: string | undefined;
  with?: Record<string, string> | undefined;
  onErr?: OnErr | undefined;
  line: number;
}

function onErrProblems(onErr: OnErr | undefined, where: string, add: (line: number, message: string) => void): void {
  if (!onErr) return;
  const codes = Object.entries(onErr.code ?? {});
  if (codes.length > 0) {
    if (onErr.any !== undefined) add(onErr.line, `${where}: 'onErr.any' is set next to specific codes; use 'other' instead`);
    if (onErr.other !== undefined && !ACTIONS.has(onErr.other))
      add(onErr.line, `${where}: invalid error directive 'onErr.other: ${onErr.other}' (expected continue or return)`);
  } else {
    if (onErr.other !== undefined) add(onErr.line, `${where}: 'onErr.other' is set without specific codes; use 'any' instead`);
    if (onErr.any !== undefined && !ACTIONS.has(onErr.any))
      add(onErr.line, `${where}: invalid error directive 'onErr.any: ${onErr.any}' (expected continue or return)`);
  }
  for (const [code, action] of codes) {
    if (!ACTIONS.has(action)) add(onErr.line, `${where}: invalid error directive for code ${code}: '${action}' (expected continue or return)`);
  }
}

/** Checks steps from an initial set of available state keys; returns the keys after the last step. */
function stepProblems(d: Directive, steps: Step[], initialKeys: Iterable<string>, owner: string, add: (line: number, message: string) => void): Set<string> {
  const keys = new Set(initialKeys);
  steps.forEach((step, j) => {
    const kind = stepKind(step);
    if (kind === undefined) {
      add(step.line, `${owner}: step at position ${j} isn't an Fn, Group, or ForEach`);
      return;
    }
    let callables: CallableView[];
    if (kind === "fn") callables = [{ fn: step.fn ?? "", as: step.as, with: step.with, onErr: step.onErr, line: step.line }];
    else if (kind === "group") {
      // wactor runs a group member with its own `with` and `onErr` (Atmo's intent), the step's as a fallback.
      callables = step.group!.map((m) => ({ ...m, with: m.with ?? step.with, onErr: m.onErr ?? step.onErr }));
    } else {
      const each = step.forEach!;
      if (each.in === undefined) add(each.line, `${owner}: forEach at step ${j} is missing 'in' value`);
      if (each.as === undefined) add(each.line, `${owner}: forEach at step ${j} is missing 'as' value`);
      callables = [{ fn: each.fn ?? "", as: each.as, onErr: each.onErr ?? step.onErr, line: each.line }];
    }
    for (const c of callables) {
      if (resolveReference(d, c.fn) === undefined) add(c.line, `${owner} lists fn at step ${j} that does not exist: ${c.fn} (did you forget a namespace?)`);
      for (const [alias, key] of Object.entries(c.with ?? {})) {
        if (!keys.has(key))
          add(c.line, `${owner} has 'with' value at step ${j} referencing a key that is not yet available in the state: ${key} (alias ${alias})`);
      }
      onErrProblems(c.onErr, `${owner} step ${j} (${c.fn})`, add);
    }
    // Keys appear only after the whole step: group siblings cannot see each other.
    for (const c of callables) keys.add(c.as ?? c.fn);
  });
  return keys;
}

function runnableProblems(d: Directive, add: (line: number, message: string) => void): void {
  if (d.runnables.length === 0) add(1, "no functions listed");
  const seen = new Set<string>();
  d.runnables.forEach((run, i) => {
    if (run.name === "") {
      add(run.line, `function at position ${i} missing name`);
      return;
    }
    // Namespaced names only: `default::a` and `x::a` are different functions in either order.
    const key = `${run.namespace}::${run.name}`;
    if (seen.has(key)) add(run.line, `duplicate fn ${key} found`);
    seen.add(key);
    if (RESERVED_IN_NAMES.test(run.name) || RESERVED_IN_NAMES.test(run.namespace)) {
      add(run.line, `function ${key}: a name or namespace must not contain '#', '::' or '@' (no reference could reach it)`);
    }
  });
}

/** Every problem of the Directive, in Atmo's check order. Empty when it is valid. */
export function validateDirective(d: Directive): DirectiveProblem[] {
  const problems: DirectiveProblem[] = [];
  const add = (line: number, message: string): void => void problems.push({ line, message });
  if (d.identifier === "") add(1, "identifier is missing");
  if (!isGoSemver(d.appVersion)) add(1, `app version is not a valid semantic version: '${d.appVersion}' (expected vMAJOR[.MINOR[.PATCH]], e.g. v0.1.0)`);
  if (!isGoSemver(d.atmoVersion)) add(1, `atmo version is not a valid semantic version: '${d.atmoVersion}' (expected e.g. v0.4.0)`);
  runnableProblems(d, add);
  d.handlers.forEach((h, i) => {
    const resource = h.resource || `at position ${i}`;
    if (h.type === "") add(h.line, `handler for resource ${resource} missing type`);
    if (h.resource === "") add(h.line, `handler at position ${i} missing resource`);
    if (h.type === "request" && h.method === "") add(h.line, `handler for resource ${resource} does not specify a method`);
    if (h.steps.length === 0) {
      add(h.line, `handler for resource ${resource} missing steps`);
      return;
    }
    const owner = `handler for ${h.method} ${h.resource}`;
    const keys = stepProblems(d, h.steps, [], owner, add);
    const last = h.steps[h.steps.length - 1]!;
    if (h.response === undefined && stepKind(last) === "group") add(h.line, `${owner} has group as last step but does not include 'response' field`);
    else if (h.response !== undefined && !keys.has(h.response)) add(h.line, `${owner} lists response state key that does not exist: ${h.response}`);
  });
  d.schedules.forEach((s, i) => {
    if (s.name === "") return add(s.line, `schedule at position ${i} has no name`);
    if (s.steps.length === 0) return add(s.line, `schedule ${s.name} missing steps`);
    const units = Object.values(s.every);
    if (units.some((n) => n < 0)) add(s.line, `schedule ${s.name} has a negative 'every' value`);
    else if (units.every((n) => n === 0)) add(s.line, `schedule ${s.name} has no 'every' values`);
    stepProblems(d, s.steps, Object.keys(s.state), `schedule ${s.name}`, add);
  });
  problems.push(...routeProblems(d));
  return problems;
}

/** Throws WACTOR_ERR_DIRECTIVE listing every problem, or returns the Directive unchanged. */
export function assertValidDirective(d: Directive): Directive {
  const problems = validateDirective(d);
  if (problems.length > 0) throw new DirectiveError(d.file, problems);
  return d;
}
