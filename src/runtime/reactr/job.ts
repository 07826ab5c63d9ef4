/**
 * The state of one Reactr job (one call of `run_e`, docs/runnables.md): its ident, the request
 * it runs in (request mode) or none (plain mode), the one-slot FFI mailbox, the FFI variables
 * and the outcome the guest reported. Fresh for every job.
 */

/** A request as the guest sees it through request_get_field / request_set_field. */
export interface JobRequest {
  method: string;
  url: string;
  id: string;
  body: Uint8Array;
  /** Lower-cased keys when they come from HTTP. */
  headers: Record<string, string>;
  params: Record<string, string>;
  state: Record<string, Uint8Array>;
  /**
   * Filled by resp_set_header: a plain object (a key inserted into one without a prototype
   * cost ~2.5 µs per request over HTTP), written only through setResponseHeader.
   */
  respHeaders: Record<string, string>;
  /** `headers` and `params` belong to the caller (a bundle's request): copied before the first write. */
  sharedMaps?: boolean;
}

/** An error the guest reported (return_error, return_abort). */
export interface RunErr {
  code: number;
  message: string;
}

/** What a data-returning import answers before it becomes an FFI size: data, an error text, or -1. */
export type FfiAnswer = { data: Uint8Array } | { error: string } | -1;

const toUtf8 = new TextEncoder();

/** Idents of the jobs running in this thread: never handed out twice while in flight. */
const running = new Set<number>();

/** Jobs running (or suspended) in this thread now. */
export const runningJobs = (): number => running.size;

function freshIdent(): number {
  for (;;) {
    // Not a secret: an import only accepts the ident of its own instance's running job.
    const ident = Math.floor(Math.random() * 0x7fffffff);
    if (!running.has(ident)) return ident;
  }
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

  constructor(request: JobRequest | undefined) {
    this.request = request;
    running.add(this.ident);
  }

  end(): void {
    running.delete(this.ident);
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
