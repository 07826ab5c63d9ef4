/** What every kind of step needs while a sequence runs: the request, the invoker, time limits. */
import { WactorError, toWactorError } from "../errors.js";
import type { RunErr } from "./go-json.js";
import type { JobReply, JobRequest, StepCancel, StepInvoker } from "./job.js";
import { resolveReference } from "./references.js";
import { afterTimeout } from "./step-timeouts.js";
import type { Directive, ErrAction, OnErr } from "./types.js";

export const DEFAULT_STEP_TIMEOUT_MS = 30_000;
export const DEFAULT_FOREACH_CONCURRENCY = 16;

export interface SequenceOptions {
  /** Time a step (an fn, a whole group, a whole forEach) may take; 30 s by default, as in Atmo. */
  stepTimeoutMs?: number;
  /** forEach elements running at once (Atmo starts them all); 16 by default. */
  forEachConcurrency?: number;
  /** Told of every step (spans, timings); absent: the engine does no such work. */
  observeStep?: StepObserver;
}

/** One step as an observer sees it: `fn greet`, `group shout,count`, `forEach render`. */
export interface StepInfo {
  index: number;
  kind: "fn" | "group" | "forEach";
  /** The functions it calls, as written. */
  fns: string;
  requestId: string;
}

/** Runs each step itself (it may wrap it in a span's context) and returns what `run` returns. */
export type StepObserver = <T>(step: StepInfo, run: () => Promise<T>) => Promise<T>;

/** The request fields every step's functions see; state is added per call. */
export type RequestContext = Omit<JobRequest, "state">;

/** One per sequence run; `where` follows the step running (a sequence runs one step at a time). */
export interface StepRun {
  ctx: RequestContext;
  invoker: StepInvoker;
  options: Required<Omit<SequenceOptions, "observeStep">>;
  /** Where the step is, for messages: `step 2`. */
  where: string;
}

/**
 * A step's cancellation. Its AbortController is made only when something asks for the signal
 * (a remote call, a forEach, a timeout): a step answered by direct calls never does, and three
 * controllers per 3-step request were a measurable part of the engine's work.
 */
export class LazyCancel implements StepCancel {
  #controller: AbortController | undefined;

  get signal(): AbortSignal {
    return (this.#controller ??= new AbortController()).signal;
  }

  get aborted(): boolean {
    return this.#controller?.signal.aborted ?? false;
  }

  abort(reason: unknown): void {
    (this.#controller ??= new AbortController()).abort(reason);
  }
}

export const utf8 = new TextEncoder();

/** Sets an own data property, `__proto__` included (assigning that one would set the prototype). */
export function setOwn<T>(record: Record<string, T>, key: string, value: T): void {
  if (key === "__proto__") Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
  else record[key] = value;
}

/**
 * The state as a call's own record: a plain object with own keys only (a key named __proto__
 * is an own data property). Plain rather than prototype-less: V8 keeps it in fast mode, so a
 * forEach element's spread copy of it is cheap (docs/directive.md).
 */
export function stateRecord(state: Map<string, Uint8Array>): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  for (const [key, value] of state) setOwn(out, key, value);
  return out;
}

/**
 * The state a callable sees: the full state without `with`, else only its aliases. A key no
 * earlier step set is an infrastructure failure (the Directive's validation normally
 * prevents it; a forEach `in` or a `with` on a step-level field is not checked at load).
 */
export function desiredState(withMap: Record<string, string> | undefined, state: Map<string, Uint8Array>, where: string): Record<string, Uint8Array> {
  if (!withMap || Object.keys(withMap).length === 0) return stateRecord(state);
  const out: Record<string, Uint8Array> = {};
  for (const [alias, key] of Object.entries(withMap)) {
    const value = state.get(key);
    if (value === undefined) throw new WactorError("WACTOR_ERR_STATE_KEY_MISSING", `${where}: 'with' key '${key}' (alias '${alias}') is not in the state`);
    setOwn(out, alias, value);
  }
  return out;
}

/**
 * A step's calls that answer later, under the step timeout: on expiry `cancel` aborts and
 * the step fails with WACTOR_ERR_STEP_TIMEOUT; any other failure becomes a catalog error.
 * Calls answered at once (direct calls on this host) never come here: they cannot have timed
 * out, and the step costs no promise (docs/directive.md, "Running a bundle"). `kind` and
 * `name` name the step in the timeout's message (`fn greet`): joined only if it times out.
 */
export function underStepTimeout<T>(run: StepRun, kind: string, name: string | undefined, cancel: LazyCancel, working: Promise<T>): Promise<T> {
  const where = run.where;
  return new Promise<T>((resolve, reject) => {
    const fail = (err: unknown): void => {
      cancel.abort(err);
      reject(toWactorError(err));
    };
    const timeout = afterTimeout(run.options.stepTimeoutMs, () =>
      fail(
        new WactorError(
          "WACTOR_ERR_STEP_TIMEOUT",
          `${where}: ${name === undefined ? kind : `${kind} ${name}`} timed out after ${run.options.stepTimeoutMs} ms`,
        ),
      ),
    );
    // After a timeout the work's own end changes nothing: the step has failed already.
    working.then(
      (value) => {
        timeout.cancel();
        resolve(value);
      },
      (err: unknown) => {
        timeout.cancel();
        if (!cancel.aborted) fail(err);
      },
    );
  });
}

export function invoke(run: StepRun, fqfn: string, state: Record<string, Uint8Array>, cancel: StepCancel): JobReply | Promise<JobReply> {
  const { method, url, requestId, body, headers, params } = run.ctx;
  return run.invoker.invoke(fqfn, { method, url, requestId, body, headers, params, state }, cancel);
}

/** Atmo's onErr decision for a RunErr's code (no onErr, or `{}`: return). */
export function decide(onErr: OnErr | undefined, code: number): ErrAction {
  if (!onErr) return "return";
  const codes = onErr.code ?? {};
  if (Object.keys(codes).length > 0) {
    const listed = codes[code];
    if (listed !== undefined) return listed === "continue" ? "continue" : "return";
    return onErr.other === "continue" ? "continue" : "return";
  }
  return onErr.any === "continue" ? "continue" : "return";
}

/**
 * Resolved references by the callable that names them (a step, a group member, a forEach): each
 * belongs to one parsed Directive, so its reference is parsed and looked up once, and a call
 * costs one lookup.
 */
const resolved = new WeakMap<object, string>();

export function fqfnFor(d: Directive, callable: { readonly fn?: string | undefined }): string {
  let fqfn = resolved.get(callable);
  if (fqfn === undefined) {
    const reference = callable.fn ?? "";
    const runnable = resolveReference(d, reference);
    if (!runnable) throw new WactorError("WACTOR_ERR_INTERNAL", `the reference '${reference}' does not resolve; the Directive was not validated`);
    resolved.set(callable, (fqfn = runnable.fqfn));
  }
  return fqfn;
}

export type { RunErr };
