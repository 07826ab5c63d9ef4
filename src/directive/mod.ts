/** Atmo's Directive in wactor: reading, validation, routing and the sequence engine (docs/directive.md). */
export type { Callable, Directive, DirectiveProblem, ErrAction, Every, ForEach, Handler, OnErr, Runnable, Schedule, Step } from "./types.js";
export { parseDirective } from "./parse.js";
export { validateDirective, assertValidDirective } from "./validate.js";
export { loadDirective, loadDirectiveFile } from "./load.js";
export { DirectiveError, formatProblems } from "./problems.js";
export { fqfnOf, parseReference, resolveReference, isGoSemver, DEFAULT_NAMESPACE } from "./references.js";
export { Router, buildRouter, cleanPath, type RouteOutcome } from "./routes.js";
export { runSequence, canonicalHeaderKey, type SequenceOutcome } from "./sequence.js";
export { DEFAULT_STEP_TIMEOUT_MS, DEFAULT_FOREACH_CONCURRENCY, type SequenceOptions, type RequestContext } from "./step-context.js";
export { JOB_OPERATION, encodeJobRequest, decodeJobReply, invokerFromCall, type JobReply, type JobRequest, type StepInvoker } from "./job.js";
export { DirectiveApp, type DirectiveAppOptions, type DirectiveRequest, type ScheduleInfo } from "./app.js";
export type { DirectiveResponse } from "./http-response.js";
export { runErrJson, goJson, type RunErr } from "./go-json.js";
