/**
 * One waPC guest instance (docs/wascc-protocol.md §1), driven synchronously on the current thread.
 * Used inside instance workers, and directly by benchmarks as the in-thread baseline.
 */
import type { HttpResponse } from "../codec/http.js";
import type { HttpClientResponse } from "../codec/http-client.js";
import type { JobReply } from "../codec/job.js";
import type { ErrorCode } from "../errors.js";
import { copyOut } from "./copy-out.js";

/** `fields`: the answer to an http_client request made as its fields (GuestHooks.httpClient); `payload` is then empty. */
export type HostCallResult = { ok: true; payload: Uint8Array; fields?: HttpClientResponse } | { ok: false; error: string };

/** Answers a guest's `__host_call`; must be synchronous (the guest is blocked in it). */
export type SyncHostCall = (binding: string, namespace: string, operation: string, payload: Uint8Array) => HostCallResult;

/**
 * `code`: the catalog code of a failure the guest answered with (default WACTOR_ERR_GUEST_ERROR).
 * `response` / `job`: a runnable handed a request as its fields (GuestInput) answers with the
 * response's or the job reply's fields, not their MessagePack (`payload` is then empty).
 */
export type GuestCallResult = { ok: true; payload: Uint8Array; response?: HttpResponse; job?: JobReply } | { ok: false; error: string; code?: ErrorCode };

/** Thrown when the guest traps or calls env.abort: the instance must not be reused. */
export class GuestTrap extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GuestTrap";
  }
}

/**
 * AssemblyScript's abort(msg, file, line, col) as text: its strings are UTF-16 with their
 * length in bytes stored 4 bytes before the pointer.
 */
export function abortMessage(memory: Uint8Array, msgPtr: number, filePtr: number, line: number, column: number): string {
  const text = (p: number): string => {
    if (!p || p < 4 || p > memory.length) return "";
    const len = new DataView(memory.buffer).getUint32(p - 4, true);
    return new TextDecoder("utf-16le").decode(memory.subarray(p, p + Math.min(len, 4096)));
  };
  return `abort: ${text(msgPtr)} at ${text(filePtr)}:${line}:${column}`;
}

const utf8 = new TextDecoder();
const toUtf8 = new TextEncoder();
const EMPTY = new Uint8Array(0);

export interface GuestOptions {
  hostCall: SyncHostCall;
  consoleLog?: (line: string) => void;
}

export class WapcGuest {
  readonly #instance: WebAssembly.Instance;
  readonly #guestCall: (opLen: number, msgLen: number) => number;
  // State of the current call, read by the imports below.
  #operation: Uint8Array = EMPTY;
  #payload: Uint8Array = EMPTY;
  #response: Uint8Array | undefined;
  #error: string | undefined;
  #hostResponse: Uint8Array = EMPTY;
  #hostError: Uint8Array = EMPTY;
  #abortMessage: string | undefined;

  private constructor(module: WebAssembly.Module, options: GuestOptions) {
    const memory = (): Uint8Array => new Uint8Array((this.#instance.exports.memory as WebAssembly.Memory).buffer);
    // Memory may grow during a call: every access re-reads the buffer.
    const read = (ptr: number, len: number): Uint8Array => copyOut(memory(), ptr, len);
    const readString = (ptr: number, len: number): string => utf8.decode(memory().subarray(ptr, ptr + len));
    const imports: WebAssembly.Imports = {
      wapc: {
        __guest_request: (opPtr: number, msgPtr: number) => {
          const mem = memory();
          mem.set(this.#operation, opPtr);
          mem.set(this.#payload, msgPtr);
        },
        __guest_response: (ptr: number, len: number) => {
          this.#response = read(ptr, len);
        },
        __guest_error: (ptr: number, len: number) => {
          this.#error = readString(ptr, len);
        },
        __host_call: (bdPtr: number, bdLen: number, nsPtr: number, nsLen: number, opPtr: number, opLen: number, ptr: number, len: number) => {
          const result = options.hostCall(readString(bdPtr, bdLen), readString(nsPtr, nsLen), readString(opPtr, opLen), read(ptr, len));
          if (result.ok) {
            this.#hostResponse = result.payload;
            this.#hostError = EMPTY;
            return 1;
          }
          this.#hostResponse = EMPTY;
          this.#hostError = toUtf8.encode(result.error);
          return 0;
        },
        __host_response_len: () => this.#hostResponse.length,
        __host_response: (ptr: number) => memory().set(this.#hostResponse, ptr),
        __host_error_len: () => this.#hostError.length,
        __host_error: (ptr: number) => memory().set(this.#hostError, ptr),
        __console_log: (ptr: number, len: number) => options.consoleLog?.(readString(ptr, len)),
      },
      env: {
        abort: (msgPtr: number, filePtr: number, line: number, column: number) => {
          this.#abortMessage = abortMessage(memory(), msgPtr, filePtr, line, column);
          throw new GuestTrap(this.#abortMessage);
        },
      },
    };
    this.#instance = new WebAssembly.Instance(module, imports);
    const guestCall = this.#instance.exports.__guest_call;
    if (typeof guestCall !== "function") throw new GuestTrap("the module does not export __guest_call");
    if (!(this.#instance.exports.memory instanceof WebAssembly.Memory)) throw new GuestTrap("the module does not export its memory");
    this.#guestCall = guestCall as (opLen: number, msgLen: number) => number;
  }

  /** Instantiates and runs the guest's initializers (`_start`, then `wapc_init`). */
  static create(module: WebAssembly.Module, options: GuestOptions): WapcGuest {
    const guest = new WapcGuest(module, options);
    for (const name of ["_start", "wapc_init"]) {
      const init = guest.#instance.exports[name];
      if (typeof init === "function") guest.#trapping(() => (init as () => void)());
    }
    return guest;
  }

  /**
   * Runs one operation (its name as text or as UTF-8 bytes, which saves a re-encode on the
   * hot path); a trap throws GuestTrap, a guest error resolves `{ ok: false }`.
   */
  invoke(operation: string | Uint8Array, payload: Uint8Array): GuestCallResult {
    this.#operation = typeof operation === "string" ? toUtf8.encode(operation) : operation;
    this.#payload = payload;
    this.#response = undefined;
    this.#error = undefined;
    const status = this.#trapping(() => this.#guestCall(this.#operation.length, this.#payload.length));
    this.#payload = EMPTY;
    if (status === 1) return { ok: true, payload: this.#response ?? EMPTY };
    return { ok: false, error: this.#error ?? `guest call '${utf8.decode(this.#operation)}' failed without an error message` };
  }

  get memoryBytes(): number {
    return (this.#instance.exports.memory as WebAssembly.Memory).buffer.byteLength;
  }

  #trapping<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof GuestTrap) throw err;
      // RuntimeError (unreachable, out of bounds, stack overflow) or a RangeError from V8.
      throw new GuestTrap(err instanceof Error ? `${err.name}: ${err.message}` : String(err));
    }
  }
}
