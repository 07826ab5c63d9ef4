/**
 * The sequence engine shared by handlers and schedules: steps run in order, each an fn, a
 * group (members at once) or a forEach; results land in the state under `as` (else the
 * reference as written); a RunErr goes through onErr (return ends the sequence, continue
 * stores the error's JSON). docs/directive.md, "Execution".
 */
import { toWactorError, type WactorError } from "../errors.js";
import { runErrJson, type RunErr } from "./go-json.js";
import { runForEach } from "./for-each.js";
import {
  DEFAULT_FOREACH_CONCURRENCY,
  fqfnFor,
  type CallResult,
  DEFAULT_STEP_TIMEOUT_MS,
  decide,
  desiredState,
  invoke,
  utf8,
  withStepTimeout,
  type RequestContext,
  type SequenceOptions,
  type StepInfo,
  type StepRun,
} from "./step-context.js";
import { resultKey, stepKind } from "./steps.js";
import type { Directive, Step } from "./types.js";
import type { JobReply, StepInvoker } from "./job.js";

export type SequenceOutcome =
  | { kind: "ok"; state: Map<string, Uint8Array>; headers: Record<string, string> }
  /** A function's RunErr that onErr says to return. */
  | { kind: "runErr"; error: RunErr }
  /** An infrastructure failure: timeout, trap, missing function or state key, bad forEach data. */
  | { kind: "failed"; error: WactorError };

const canonicalKeys = new Map<string, string>();
const MAX_CANONICAL_KEYS = 1024;

/** Go's canonical MIME header key (`content-type` → `Content-Type`); other keys unchanged. */
export function canonicalHeaderKey(key: string): string {
  let canonical = canonicalKeys.get(key);
  if (canonical === undefined) {
    canonical = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(key)
      ? key.toLowerCase().replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase())
      : key;
    // Header names repeat from request to request: each is worked out once (a bounded memo).
    if (canonicalKeys.size >= MAX_CANONICAL_KEYS) canonicalKeys.clear();
    canonicalKeys.set(key, canonical);
  }
  return canonical;
}

/** A step's results, at once when its calls were answered at once (direct calls), else later. */
type StepResults = CallResult[] | Promise<CallResult[]>;

function runFn(d: Directive, run: StepRun, step: Step, state: Map<string, Uint8Array>): StepResults {
  const fn = step.fn!;
  const input = desiredState(step.with, state, run.where);
  const reply = withStepTimeout(run, `fn ${fn}`, (signal) => invoke(run, fqfnFor(d, fn), input, signal));
  const results = (r: JobReply): CallResult[] => [{ key: resultKey(step), reply: r, onErr: step.onErr }];
  return reply instanceof Promise ? reply.then(results) : results(reply);
}

/** Members start together on the state before the step, each with its own `with` (the step's as a fallback). */
function runGroup(d: Directive, run: StepRun, step: Step, state: Map<string, Uint8Array>): StepResults {
  const members = step.group!.map((m) => {
    const withMap = m.with ?? step.with;
    // The member's place is only named in a failure, and only one with `with` can fail here.
    return { member: m, fqfn: fqfnFor(d, m.fn), input: desiredState(withMap, state, withMap ? `${run.where} (${m.fn})` : run.where) };
  });
  const replies = withStepTimeout(run, "fn group", (signal) => {
    const each = members.map(({ fqfn, input }) => invoke(run, fqfn, input, signal));
    return each.some((r) => r instanceof Promise) ? Promise.all(each) : (each as JobReply[]);
  });
  // Applied in the order written, so the outcome does not depend on which member finished first.
  const results = (r: JobReply[]): CallResult[] =>
    members.map(({ member }, i) => ({ key: resultKey(member), reply: r[i]!, onErr: member.onErr ?? step.onErr }));
  return replies instanceof Promise ? replies.then(results) : results(replies);
}

function stepInfo(step: Step, kind: StepInfo["kind"], index: number, requestId: string): StepInfo {
  const fns = kind === "fn" ? step.fn! : kind === "group" ? step.group!.map((m) => m.fn).join(",") : (step.forEach!.fn ?? "");
  return { index, kind, fns, requestId };
}

/** `step 0`, `step 1`…: made once, not per request. */
const STEP_NAMES = Array.from({ length: 64 }, (_, j) => `step ${j}`);

export async function runSequence(
  d: Directive,
  steps: readonly Step[],
  ctx: RequestContext,
  initialState: Map<string, Uint8Array>,
  invoker: StepInvoker,
  options: SequenceOptions = {},
): Promise<SequenceOutcome> {
  const state = new Map(initialState);
  const headers: Record<string, string> = {};
  if (invoker.prepare) ctx = invoker.prepare(ctx);
  const resolved = {
    stepTimeoutMs: options.stepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS,
    forEachConcurrency: options.forEachConcurrency ?? DEFAULT_FOREACH_CONCURRENCY,
  };
  try {
    for (let j = 0; j < steps.length; j++) {
      const step = steps[j]!;
      const run: StepRun = { ctx, invoker, options: resolved, where: STEP_NAMES[j] ?? `step ${j}` };
      const kind = stepKind(step);
      const runStep = (): StepResults =>
        kind === "fn"
          ? runFn(d, run, step, state)
          : kind === "group"
            ? runGroup(d, run, step, state)
            : kind === "forEach"
              ? runForEach(d, run, step, state)
              : [];
      const observe = options.observeStep;
      let results: StepResults;
      if (observe === undefined || kind === undefined) results = runStep();
      else results = await observe(stepInfo(step, kind, j, ctx.requestId), async () => runStep());
      if (results instanceof Promise) results = await results;
      for (const { key, reply, onErr } of results) {
        if ("error" in reply) {
          if (decide(onErr, reply.error.code) === "return") return { kind: "runErr", error: reply.error };
          state.set(key, utf8.encode(runErrJson(reply.error)));
          continue;
        }
        state.set(key, reply.output);
        for (const [name, value] of Object.entries(reply.headers)) headers[canonicalHeaderKey(name)] = value;
      }
    }
  } catch (err) {
    return { kind: "failed", error: toWactorError(err) };
  }
  return { kind: "ok", state, headers };
}
