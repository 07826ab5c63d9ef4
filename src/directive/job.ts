/**
 * The narrow interface between the sequence engine and whatever runs functions: a function
 * (runnable/actor) is invoked with operation `Job`; its payload and reply are MessagePack.
 * A RunErr is a reply; anything else that goes wrong (trap, deadline, missing function) is a
 * rejected promise with a WactorError, which the engine treats as an infrastructure failure.
 */
import { OP_JOB, decodeJobReply, encodeJobRequest, type JobReply, type JobRequest } from "../codec/job.js";

// The payloads are the runtime's own Job codec (src/codec/job.ts): one shape, one codec.
export { OP_JOB as JOB_OPERATION, decodeJobReply, encodeJobRequest, type JobReply, type JobRequest };

/** A step's cancellation as a call sees it: its signal aborts when the step times out (made when first read). */
export interface StepCancel {
  readonly signal: AbortSignal;
}

export interface StepInvoker {
  /**
   * Runs the function bound to `fqfn`: the reply, itself when it was answered at once (a direct
   * call on this host), else a promise that rejects (WactorError) on an infrastructure failure.
   * Never throws.
   */
  invoke(fqfn: string, request: JobRequest, cancel: StepCancel): JobReply | Promise<JobReply>;
  /**
   * The request's header names as this invoker's calls look them up: lower-cased (the runnable
   * runtime, as for HandleRequest) or, by default, Go's canonical form as Atmo sends them.
   */
  readonly headerNames?: "lower" | "canonical";
}

/** A StepInvoker over a byte-level call (`Job` operation on the function's actor). */
export function invokerFromCall(call: (fqfn: string, operation: string, payload: Uint8Array, signal: AbortSignal) => Promise<Uint8Array>): StepInvoker {
  return {
    // Not an async function: one promise per step less; a throw still becomes a rejection.
    invoke(fqfn, request, cancel) {
      try {
        return call(fqfn, OP_JOB, encodeJobRequest(request), cancel.signal).then(decodeJobReply);
      } catch (err) {
        return Promise.reject(err);
      }
    },
  };
}
