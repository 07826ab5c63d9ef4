/**
 * The state of one Reactr job (one call of `run_e`, docs/runnables.md): its ident, the request
 * it runs in (request mode) or none (plain mode), the one-slot FFI mailbox, the FFI variables
 * and the outcome the guest reported. Fresh for every job.
 */

/** A request as the guest sees it through request_get_field / request_set_field. */
export interface JobRequest {
  method: string;
  url: string;
  /** The request's id: a bundle's, or one made when an HTTP request's guest first asks. */
  requestId: string;
  body: Uint8Array;
  /** Lower-cased keys when they come from HTTP. */
  headers: Record<string, string>;
  params: Record<string, string>;
  state: Record<string, Uint8Array>;
  /**
   * Filled by resp_set_header, made at its first header: a plain object (a key inserted into
   * one without a prototype cost ~2.5 µs per request over HTTP), written only through
   * setResponseHeader.
   */
  respHeaders?: Record<string, string>;
  /**
   * `headers`, `params` and `state` are this request's own, written in place. Absent: they are
   * the caller's (a bundle's request, shared by its calls; a group's members share a state),
   * copied before the first write. So a bundle step's request is the engine's object itself.
   */
  ownMaps?: boolean;
}

/** An error the guest reported (return_error, return_abort). */
export interface RunErr {
  code: number;
  message: string;
}

/** What a data-returning import answers before it becomes an FFI size: data, an error text, or -1. */
export type FfiAnswer = { data: Uint8Array } | { error: string } | -1;

const toUtf8 = new TextEncoder();

/**
 * Jobs running (or suspended) in this thread, counted. Idents come from a counter: an import
 * only accepts the ident of its own instance's running job, so they need not be secret, only
 * distinct while in flight (2^31 jobs apart). A Set of live idents did this before and cost
 * ~0.5 µs per job over HTTP: V8 shrinks and rehashes a Set that drops back to empty.
 */
let running = 0;
let lastIdent = Math.floor(Math.random() * 0x7fffffff);

/** Jobs running (or suspended) in this thread now. */
export const runningJobs = (): number => running;

function freshIdent(): number {
  lastIdent = (lastIdent + 1) & 0x7fffffff;
  return lastIdent;
}

export class Job {
  readonly ident = freshIdent();
  readonly request: JobRequest | undefined;
  /** The FFI slot: the data or the UTF-8 error text waiting for get_ffi_result. */
  ffi: Uint8Array | undefined;
  readonly vars: Array<[string, string]> = [];
  result: Uint8Array | undefined;
  error: RunErr | undefined;
  /** The first return_* wins (the contract leaves later ones undefined). */
  reported = false;
  #ended = false;

  constructor(request: JobRequest | undefined) {
    this.request = request;
    running++;
  }

  /** When the job is over (RunnableGuest#finish); a second call changes nothing, so the count stays right. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    running--;
    this.ffi = undefined;
  }

  /** Fills the slot and returns the FFI size: the data's length, or minus the error's. */
  answer(answer: FfiAnswer): number {
    if (answer === -1) return -1;
    if ("data" in answer) {
      this.ffi = answer.data;
      return answer.data.length;
    }
    const text = toUtf8.encode(answer.error);
    this.ffi = text;
    return -text.length;
  }
}

/** RunErr as Reactr prints it: JSON with both fields omitted when empty. */
export function runErrJson(error: RunErr): string {
  return JSON.stringify({ ...(error.code !== 0 && { code: error.code }), ...(error.message !== "" && { message: error.message }) });
}
