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
  DEFAULT_STEP_TIMEOUT_MS,
  decide,
  desiredState,
  invoke,
  utf8,
  LazyCancel,
  underStepTimeout,
  type RequestContext,
  type SequenceOptions,
  type StepInfo,
  type StepRun,
} from "./step-context.js";
import { resultKey, stepKind } from "./steps.js";
import type { Directive, Step } from "./types.js";
import type { JobReply, StepInvoker } from "./job.js";
import type { SequenceTiming } from "./step-timings.js";

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

/** What a step's calls answered: one reply (fn, forEach) or one per member (group), at once or later. */
type StepReplies = JobReply | JobReply[];

function runFn(d: Directive, run: StepRun, step: Step, state: Map<string, Uint8Array>): JobReply | Promise<JobReply> {
  const fn = step.fn!;
  const cancel = new LazyCancel();
  const reply = invoke(run, fqfnFor(d, step), desiredState(step.with, state, run.where), cancel);
  return reply instanceof Promise ? underStepTimeout(run, "fn", fn, cancel, reply) : reply;
}

/** Members start together on the state before the step, each with its own `with` (the step's as a fallback). */
function runGroup(d: Directive, run: StepRun, step: Step, state: Map<string, Uint8Array>): JobReply[] | Promise<JobReply[]> {
  const group = step.group!;
  const inputs = new Array<Record<string, Uint8Array>>(group.length);
  // Members without a `with` of their own share one record: a call's writes copy it first (request-fields.ts).
  let shared: Record<string, Uint8Array> | undefined;
  for (let i = 0; i < group.length; i++) {
    const m = group[i]!;
    const withMap = m.with ?? step.with;
    // The member's place is only named in a failure, and only one with `with` can fail here.
    inputs[i] = withMap ? desiredState(withMap, state, `${run.where} (${m.fn})`) : (shared ??= desiredState(undefined, state, run.where));
  }
  const cancel = new LazyCancel();
  const replies = new Array<JobReply | Promise<JobReply>>(group.length);
  let later = false;
  for (let i = 0; i < group.length; i++) {
    const reply = invoke(run, fqfnFor(d, group[i]!), inputs[i]!, cancel);
    if (reply instanceof Promise) later = true;
    replies[i] = reply;
  }
  return later ? underStepTimeout(run, "fn group", undefined, cancel, Promise.all(replies)) : (replies as JobReply[]);
}

function stepInfo(step: Step, kind: StepInfo["kind"], index: number, requestId: string): StepInfo {
  const fns = kind === "fn" ? step.fn! : kind === "group" ? step.group!.map((m) => m.fn).join(",") : (step.forEach!.fn ?? "");
  return { index, kind, fns, requestId };
}

/** `step 0`, `step 1`…: made once, not per request. */
const STEP_NAMES = Array.from({ length: 64 }, (_, j) => `step ${j}`);

/** One run of a sequence: its state, the response headers so far, what its steps share. */
interface Running {
  readonly d: Directive;
  readonly steps: readonly Step[];
  readonly run: StepRun;
  readonly state: Map<string, Uint8Array>;
  readonly headers: Record<string, string>;
  readonly observe: SequenceOptions["observeStep"];
  /** Set when this run is one of those timed (step-timings.ts). */
  readonly timing: SequenceTiming | undefined;
}

/** A timed run's step, from its start to its replies applied. */
function timed(r: Running, j: number, step: Step, kind: StepInfo["kind"] | undefined, started: number): void {
  const what = (): string => (kind === undefined ? "(no step)" : `${kind} ${stepInfo(step, kind, j, "").fns}`);
  r.timing!.sink.record(r.timing!.target, j, what, performance.now() - started);
}

function startStep(r: Running, step: Step, kind: StepInfo["kind"] | undefined): StepReplies | Promise<StepReplies> {
  switch (kind) {
    case "fn":
      return runFn(r.d, r.run, step, r.state);
    case "group":
      return runGroup(r.d, r.run, step, r.state);
    case "forEach":
      return runForEach(r.d, r.run, step, r.state);
    default:
      return [];
  }
}

/** One call's reply into the state (and its headers into the response's); an outcome when onErr says return. */
function applyReply(r: Running, key: string, reply: JobReply, onErr: Step["onErr"]): SequenceOutcome | undefined {
  if ("error" in reply) {
    if (decide(onErr, reply.error.code) === "return") return { kind: "runErr", error: reply.error };
    r.state.set(key, utf8.encode(runErrJson(reply.error)));
    return undefined;
  }
  r.state.set(key, reply.output);
  const headers = reply.headers;
  for (const name in headers) r.headers[canonicalHeaderKey(name)] = headers[name]!;
  return undefined;
}

/** A step's replies applied in the order written, so the outcome does not depend on which member finished first. */
function applyStep(r: Running, step: Step, kind: StepInfo["kind"] | undefined, replies: StepReplies): SequenceOutcome | undefined {
  if (kind === "fn") return applyReply(r, resultKey(step), replies as JobReply, step.onErr);
  if (kind === "forEach") {
    const each = step.forEach!;
    return applyReply(r, each.as ?? each.fn!, replies as JobReply, each.onErr ?? step.onErr);
  }
  const group = step.group ?? [];
  const all = replies as JobReply[];
  for (let i = 0; i < all.length; i++) {
    const member = group[i]!;
    const stop = applyReply(r, resultKey(member), all[i]!, member.onErr ?? step.onErr);
    if (stop) return stop;
  }
  return undefined;
}

/**
 * Steps from `j` on. While every step is answered at once (direct calls on this host) the whole
 * sequence runs in the caller's turn: no promise, closure or result array per step.
 */
function runFrom(r: Running, j: number): SequenceOutcome | Promise<SequenceOutcome> {
  try {
    for (; j < r.steps.length; j++) {
      const step = r.steps[j]!;
      r.run.where = STEP_NAMES[j] ?? `step ${j}`;
      const kind = stepKind(step);
      const started = r.timing === undefined ? 0 : performance.now();
      const replies =
        r.observe === undefined || kind === undefined
          ? startStep(r, step, kind)
          : r.observe(stepInfo(step, kind, j, r.run.ctx.requestId), async () => startStep(r, step, kind));
      if (replies instanceof Promise) return afterStep(r, j, step, kind, replies, started);
      const stop = applyStep(r, step, kind, replies);
      if (r.timing !== undefined) timed(r, j, step, kind, started);
      if (stop) return stop;
    }
  } catch (err) {
    return { kind: "failed", error: toWactorError(err) };
  }
  return { kind: "ok", state: r.state, headers: r.headers };
}

async function afterStep(
  r: Running,
  j: number,
  step: Step,
  kind: StepInfo["kind"] | undefined,
  pending: Promise<StepReplies>,
  started: number,
): Promise<SequenceOutcome> {
  let replies: StepReplies;
  try {
    replies = await pending;
  } catch (err) {
    return { kind: "failed", error: toWactorError(err) };
  }
  const stop = applyStep(r, step, kind, replies);
  if (r.timing !== undefined) timed(r, j, step, kind, started);
  return stop ?? runFrom(r, j + 1);
}

/**
 * The outcome itself when every step was answered at once, else a promise of it. `state`
 * becomes the run's own; `timing`: this run is one of those timed (step-timings.ts).
 */
export function runSequence(
  d: Directive,
  steps: readonly Step[],
  ctx: RequestContext,
  initialState: Map<string, Uint8Array>,
  invoker: StepInvoker,
  options: SequenceOptions = {},
  timing?: SequenceTiming,
): SequenceOutcome | Promise<SequenceOutcome> {
  const resolved = {
    stepTimeoutMs: options.stepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS,
    forEachConcurrency: options.forEachConcurrency ?? DEFAULT_FOREACH_CONCURRENCY,
  };
  const run: StepRun = { ctx, invoker, options: resolved, where: "" };
  return runFrom({ d, steps, run, state: initialState, headers: {}, observe: options.observeStep, timing }, 0);
}
