/**
 * forEach: the function runs once per element of the JSON array in `state[in]`, with the full
 * state plus `__elem` (the element as compact JSON). Elements run in parallel, at most
 * `forEachConcurrency` at once; the results are stored as one JSON array in INPUT order
 * (Atmo: completion order), and `__elem` does not stay in the state afterwards.
 */
import { WactorError } from "../errors.js";
import { goJson } from "./go-json.js";
import type { JobReply } from "./job.js";
import { fqfnFor, invoke, LazyCancel, stateRecord, underStepTimeout, utf8, type StepRun } from "./step-context.js";
import type { Directive, Step } from "./types.js";

export const ELEMENT_KEY = "__elem";

const utf8Text = new TextDecoder();

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(utf8Text.decode(bytes));
  } catch {
    return undefined;
  }
}

/**
 * The state one element's call sees: its own copy, with `__elem`. A spread (own keys copied as
 * data properties, `__proto__` included) is ~20x faster than filling an object without a
 * prototype, and the runnable runtime reads and writes a state's own keys only.
 */
function elementState(base: Record<string, Uint8Array>, element: Uint8Array): Record<string, Uint8Array> {
  return { ...base, [ELEMENT_KEY]: element };
}

/** Elements answered at once (direct calls on this host) cost no promise each: a worker goes on to the next. */
async function boundedAll<T>(count: number, limit: number, cancel: LazyCancel, work: (i: number) => T | Promise<T>): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count && !cancel.aborted) {
      const i = next++;
      const result = work(i);
      results[i] = result instanceof Promise ? await result : result;
    }
  };
  await Promise.all(Array.from({ length: Math.min(count, Math.max(1, limit)) }, worker));
  return results;
}

/** The step's one reply: the results as a JSON array, or the first element's RunErr. */
export async function runForEach(d: Directive, run: StepRun, step: Step, state: Map<string, Uint8Array>): Promise<JobReply> {
  const each = step.forEach!;
  const inKey = each.in!;
  const source = state.get(inKey);
  if (source === undefined) throw new WactorError("WACTOR_ERR_STATE_KEY_MISSING", `${run.where}: forEach 'in' key '${inKey}' is not in the state`);
  const elements = parseJson(source);
  if (!Array.isArray(elements)) throw new WactorError("WACTOR_ERR_FOREACH_INPUT", `${run.where}: state '${inKey}' is not a JSON array`);
  const fqfn = fqfnFor(d, each);
  const base = stateRecord(state);
  const cancel = new LazyCancel();
  const replies = await underStepTimeout(
    run,
    "forEach",
    each.fn,
    cancel,
    boundedAll<JobReply>(elements.length, run.options.forEachConcurrency, cancel, (i) =>
      invoke(run, fqfn, elementState(base, utf8.encode(goJson(elements[i]))), cancel),
    ),
  );
  const failed = replies.find((r) => "error" in r);
  if (failed) return failed;
  const objects = replies.map((reply, i) => {
    const value = parseJson((reply as { output: Uint8Array }).output);
    if (typeof value !== "object" || value === null || Array.isArray(value))
      throw new WactorError("WACTOR_ERR_FOREACH_OUTPUT", `${run.where}: element ${i} of '${inKey}' gave no JSON object`);
    return goJson(value);
  });
  // Headers set by the element calls are dropped, as in Atmo.
  return { output: utf8.encode(`[${objects.join(",")}]`), headers: {} };
}
