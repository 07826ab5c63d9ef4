// The Runnable side of a job: the exports a host calls (allocate, run_e, deallocate), the
// outcome imports (return_result / return_error / return_abort) and the FFI-result mailbox.
import { get_ffi_result, return_abort, return_error, return_result } from "./env";

/** A job's outcome, and the answer of every data-returning host call. */
export class Result {
  constructor(
    public ok: bool,
    public data: ArrayBuffer,
    /** HTTP-like status of a failure (a host call's failure is 500). */
    public code: i32,
    public message: string,
    /** Set by Result.nothing(): run_e reports no outcome at all. */
    public silent: bool = false,
  ) {}

  static success(data: ArrayBuffer): Result {
    return new Result(true, data, 0, "");
  }

  static text(value: string): Result {
    return Result.success(String.UTF8.encode(value));
  }

  static failure(code: i32, message: string): Result {
    return new Result(false, new ArrayBuffer(0), code, message);
  }

  /** The job ends without calling return_result or return_error (the host sees no output). */
  static nothing(): Result {
    return new Result(true, new ArrayBuffer(0), 0, "", true);
  }

  /** The data as UTF-8 text ("" for a failure). */
  toString(): string {
    return String.UTF8.decode(this.data);
  }
}

export type Runnable = (input: ArrayBuffer) => Result;

let runnable: Runnable | null = null;
/** The running job's handle; every host import takes it as its last argument. */
let jobIdent: i32 = 0;
/** Set once an outcome was sent: the first one wins, later ones are dropped (a host may block). */
let reported = false;
let aborting = false;

/** Installs the function that answers every job. Call it once, at the top level of the module. */
export function register(fn: Runnable): void {
  runnable = fn;
}

/** The ident of the job being run (0 outside a job). */
export function currentIdent(): i32 {
  return jobIdent;
}

/** Sends the job's output now; the Result the runnable then returns is ignored. */
export function returnResult(data: ArrayBuffer): void {
  if (reported) return;
  reported = true;
  return_result(changetype<usize>(data), data.byteLength, jobIdent);
}

/** Fails the job with a RunErr {code, message}; embedders such as Atmo read code as an HTTP status. */
export function returnError(code: i32, message: string): void {
  if (reported) return;
  reported = true;
  const text = String.UTF8.encode(message);
  return_error(code, changetype<usize>(text), text.byteLength, jobIdent);
}

/**
 * Reads the answer of a data-returning import from the FFI mailbox. `size` is what the import
 * returned: its byte length on success, minus the error text's length on failure, and -1 for
 * an error the host has no text for (the mailbox is then empty and must not be read).
 */
export function ffiResult(size: i32): Result {
  if (size == -1) return Result.failure(500, "unknown error returned from host");
  const buffer = new ArrayBuffer(size < 0 ? -size : size);
  if (get_ffi_result(changetype<usize>(buffer), jobIdent) != 0) {
    // e.g. fetch_url's -2 (bad method or headers) comes without a message in the mailbox
    return Result.failure(500, "host call failed (" + size.toString() + ") and left no result");
  }
  return size < 0 ? Result.failure(500, String.UTF8.decode(buffer)) : Result.success(buffer);
}

/** A fresh buffer for the host to write the job input into. */
export function allocate(size: i32): usize {
  return heap.alloc(<usize>size);
}

export function deallocate(ptr: usize, size: i32): void {
  heap.free(ptr);
}

/** The entry point: one job on `size` input bytes at `ptr`. */
export function run_e(ptr: usize, size: i32, ident: i32): void {
  jobIdent = ident;
  reported = false;
  const fn = runnable;
  if (fn == null) {
    returnError(-1, "No runnable set");
    return;
  }
  // Copied into a managed buffer: the host frees the input with deallocate after the call.
  const input = new ArrayBuffer(size);
  memory.copy(changetype<usize>(input), ptr, <usize>size);
  const result = fn(input);
  if (reported || result.silent) return;
  if (result.ok) returnResult(result.data);
  else returnError(result.code, result.message);
}

/**
 * The AssemblyScript abort hook, reported as return_abort. Wired in at build time with
 * `--use abort=actors/runnable-sdk/runnable/runnableAbort`; without it the module would import
 * `env.abort`, which a Runnable host does not provide. `throw`, `assert` and the runtime's own
 * failures arrive here with file, line and column; a direct `abort(msg)` call has none.
 */
export function runnableAbort(message: string | null = null, fileName: string | null = null, line: u32 = 0, column: u32 = 0): void {
  if (!aborting) {
    aborting = true; // an abort while encoding (out of memory) must not recurse
    const msg = String.UTF8.encode(message == null ? "" : message);
    const file = String.UTF8.encode(fileName == null ? "" : fileName);
    return_abort(changetype<usize>(msg), msg.byteLength, changetype<usize>(file), file.byteLength, line, column, jobIdent);
    reported = true;
    aborting = false;
  }
  unreachable();
}
