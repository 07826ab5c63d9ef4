/**
 * One waPC guest (spec section 1) built by transform/instrument.ts, run on the host thread.
 * Its `__host_call` suspends: the guest's stack is unwound into a region of its own memory
 * (asyncify), the provider's promise is awaited by the caller, and the guest is rewound to
 * the same point with the reply. Its `wactor.tick` (called every FUEL_PER_TICK loop turns or
 * recursive calls) lets the scheduler trap it past its deadline or suspend it past its slice.
 */
import { abortMessage, GuestTrap, type GuestCallResult, type HostCallResult } from "./wapc-guest.js";
import { FUEL_GLOBAL, FUEL_PER_TICK, TICK_MODULE, TICK_NAME } from "./transform/metering-abi.js";

export const WASM_PAGE = 65536;
/** asyncify's saved stack: locals and call indexes of the frames between export and import. */
export const SUSPEND_STACK_PAGES = 2;

const UNWINDING = 1;
const REWINDING = 2;

/** What the guest is waiting for when a step returns unfinished. */
export type Suspension = { kind: "host-call"; reply: Promise<Uint8Array> } | { kind: "yield" };

export type Step = { done: true; result: GuestCallResult } | { done: false; suspension: Suspension };

/** Past its deadline the guest is stopped where it stands; the instance must be discarded. */
export class DeadlineTrap extends GuestTrap {
  constructor() {
    super("deadline exceeded");
    this.name = "DeadlineTrap";
  }
}

export interface MeteredGuestHooks {
  /** A denial (string) is answered at once; a promise suspends the guest until it settles. */
  hostCall(binding: string, namespace: string, operation: string, payload: Uint8Array): Promise<Uint8Array> | HostCallResult;
  /** Called on every tick: "trap" past the deadline, "yield" past the slice. */
  tick(): "run" | "yield" | "trap";
  consoleLog?(line: string): void;
}

interface Exports {
  memory: WebAssembly.Memory;
  __guest_call(opLength: number, msgLength: number): number;
  asyncify_start_unwind(data: number): void;
  asyncify_stop_unwind(): void;
  asyncify_start_rewind(data: number): void;
  asyncify_stop_rewind(): void;
  asyncify_get_state(): number;
  [FUEL_GLOBAL]: WebAssembly.Global;
}

const EMPTY = new Uint8Array(0);
const utf8 = new TextDecoder();
const toUtf8 = new TextEncoder();

export class MeteredGuest {
  /** Unset while `new WebAssembly.Instance` runs the module's start function. */
  readonly #exports: Exports;
  readonly #hooks: MeteredGuestHooks;
  /** Start of the suspend region, grown after the guest's own initialization. */
  #stackAt = -1;
  #operation: Uint8Array = EMPTY;
  #payload: Uint8Array = EMPTY;
  #response: Uint8Array | undefined;
  #error: string | undefined;
  #hostResponse: Uint8Array = EMPTY;
  #hostError: Uint8Array = EMPTY;
  /** The settled reply a rewound `__host_call` returns. */
  #resumeWith: HostCallResult | undefined;
  #suspension: Suspension | undefined;

  private constructor(module: WebAssembly.Module, hooks: MeteredGuestHooks) {
    this.#hooks = hooks;
    const instance = new WebAssembly.Instance(module, this.#imports());
    this.#exports = instance.exports as unknown as Exports;
  }

  /**
   * Instantiates and runs `_start` and `wapc_init`, then grows the suspend region: after the
   * guest's allocator has taken what it wants (AssemblyScript's takes memory up to
   * `memory.size` when it starts), so it can never hand the region out. Ticks during
   * initialization may trap but not yield (there is nowhere to keep a stack yet).
   */
  static create(module: WebAssembly.Module, hooks: MeteredGuestHooks): MeteredGuest {
    const guest = trapping(() => new MeteredGuest(module, hooks));
    const exports = guest.#exports;
    for (const name of ["_start", "wapc_init"]) {
      const init = (exports as unknown as Record<string, unknown>)[name];
      if (typeof init === "function") trapping(() => (init as () => void)());
    }
    const grown = trapping(() => exports.memory.grow(SUSPEND_STACK_PAGES));
    guest.#stackAt = grown * WASM_PAGE;
    return guest;
  }

  /** Linear memory in bytes, the suspend region included. */
  get memoryBytes(): number {
    return this.#exports.memory.buffer.byteLength;
  }

  /** Starts an operation; runs until it finishes or suspends. A trap throws GuestTrap. */
  begin(operation: Uint8Array, payload: Uint8Array): Step {
    this.#operation = operation;
    this.#payload = payload;
    this.#response = undefined;
    this.#error = undefined;
    return this.#step(false);
  }

  /** Continues a suspended operation; `reply` settles a host call (undefined after a yield). */
  resume(reply?: HostCallResult): Step {
    this.#resumeWith = reply;
    return this.#step(true);
  }

  /**
   * The fuel is not refilled here: what is left over from the last step only brings the next
   * look at the clock earlier (each tick refills it), and setting a Wasm global from JS on
   * every step cost ~1 % of an invocation with one host call.
   */
  #step(rewind: boolean): Step {
    const exports = this.#exports;
    if (rewind) exports.asyncify_start_rewind(this.#stackAt);
    let status: number;
    try {
      status = exports.__guest_call(this.#operation.length, this.#payload.length);
    } catch (err) {
      throw asGuestTrap(err);
    }
    if (exports.asyncify_get_state() === UNWINDING) {
      exports.asyncify_stop_unwind();
      const suspension = this.#suspension!;
      this.#suspension = undefined;
      return { done: false, suspension };
    }
    this.#payload = EMPTY;
    if (status === 1) return { done: true, result: { ok: true, payload: this.#response ?? EMPTY } };
    return { done: true, result: { ok: false, error: this.#error ?? `guest call '${utf8.decode(this.#operation)}' failed without an error message` } };
  }

  #unwind(suspension: Suspension): void {
    // asyncify's data header: where its saved stack starts and ends (two little-endian i32).
    const memory = new DataView(this.#exports.memory.buffer);
    memory.setInt32(this.#stackAt, this.#stackAt + 8, true);
    memory.setInt32(this.#stackAt + 4, this.#stackAt + SUSPEND_STACK_PAGES * WASM_PAGE, true);
    this.#suspension = suspension;
    this.#exports.asyncify_start_unwind(this.#stackAt);
  }

  /** True (and the rewind finished) when this import call is the rewound one. */
  #rewound(): boolean {
    if (this.#exports === undefined || this.#exports.asyncify_get_state() !== REWINDING) return false;
    this.#exports.asyncify_stop_rewind();
    return true;
  }

  #answer(result: HostCallResult): number {
    if (result.ok) {
      this.#hostResponse = result.payload;
      this.#hostError = EMPTY;
      return 1;
    }
    this.#hostResponse = EMPTY;
    this.#hostError = toUtf8.encode(result.error);
    return 0;
  }

  #imports(): WebAssembly.Imports {
    // One view, made again only when memory grew: growing detaches the old buffer, and a view
    // of a detached buffer has length 0 (cheaper to test than reading `memory.buffer` each time).
    let view = new Uint8Array(0);
    const memory = (): Uint8Array => (view.length !== 0 ? view : (view = new Uint8Array(this.#exports.memory.buffer)));
    const read = (ptr: number, len: number): Uint8Array => memory().slice(ptr, ptr + len);
    const readString = (ptr: number, len: number): string => shortAscii(memory(), ptr, len) ?? utf8.decode(memory().subarray(ptr, ptr + len));
    // A guest names the same binding, namespace and operation call after call: each position
    // remembers its last text and returns it while the bytes are the same.
    const [binding, namespace, operation] = [new RememberedText(), new RememberedText(), new RememberedText()];
    return {
      wapc: {
        __guest_request: (opPtr: number, msgPtr: number) => {
          const mem = memory();
          mem.set(this.#operation, opPtr);
          mem.set(this.#payload, msgPtr);
        },
        __guest_response: (ptr: number, len: number) => void (this.#response = read(ptr, len)),
        __guest_error: (ptr: number, len: number) => void (this.#error = readString(ptr, len)),
        __host_call: (bdPtr: number, bdLen: number, nsPtr: number, nsLen: number, opPtr: number, opLen: number, ptr: number, len: number) => {
          if (this.#rewound()) return this.#answer(this.#resumeWith!);
          const mem = memory();
          const answer = this.#hooks.hostCall(
            binding.read(mem, bdPtr, bdLen) ?? readString(bdPtr, bdLen),
            namespace.read(mem, nsPtr, nsLen) ?? readString(nsPtr, nsLen),
            operation.read(mem, opPtr, opLen) ?? readString(opPtr, opLen),
            read(ptr, len),
          );
          if (!(answer instanceof Promise)) return this.#answer(answer);
          if (this.#stackAt < 0) {
            // During initialization there is no suspend region yet: refuse, do not block.
            void answer.catch(() => undefined);
            return this.#answer({ ok: false, error: "host calls are not available while the actor initializes" });
          }
          this.#unwind({ kind: "host-call", reply: answer });
          return 0;
        },
        __host_response_len: () => this.#hostResponse.length,
        __host_response: (ptr: number) => memory().set(this.#hostResponse, ptr),
        __host_error_len: () => this.#hostError.length,
        __host_error: (ptr: number) => memory().set(this.#hostError, ptr),
        __console_log: (ptr: number, len: number) => this.#hooks.consoleLog?.(readString(ptr, len)),
      },
      [TICK_MODULE]: {
        [TICK_NAME]: () => {
          if (this.#rewound()) return;
          if (this.#exports !== undefined) this.#exports[FUEL_GLOBAL].value = FUEL_PER_TICK;
          const decision = this.#hooks.tick();
          if (decision === "trap") throw new DeadlineTrap();
          if (decision === "yield" && this.#stackAt >= 0) this.#unwind({ kind: "yield" });
        },
      },
      env: {
        abort: (msgPtr: number, filePtr: number, line: number, column: number) => {
          throw new GuestTrap(abortMessage(memory(), msgPtr, filePtr, line, column));
        },
      },
    };
  }
}

/** The last short text read at one place of a call, kept with its bytes. */
class RememberedText {
  #bytes = new Uint8Array(0);
  #text = "";

  /** The text of `memory[ptr, ptr + len)`, or undefined when it is not short ASCII. */
  read(memory: Uint8Array, ptr: number, len: number): string | undefined {
    const bytes = this.#bytes;
    if (len === bytes.length && ptr + len <= memory.length) {
      let same = true;
      for (let i = 0; i < len; i++) {
        if (memory[ptr + i] !== bytes[i]) {
          same = false;
          break;
        }
      }
      if (same) return this.#text;
    }
    const text = shortAscii(memory, ptr, len);
    if (text !== undefined) {
      this.#bytes = memory.slice(ptr, ptr + len);
      this.#text = text;
    }
    return text;
  }
}

/**
 * Binding, namespace and operation names are short and ASCII: decoded without TextDecoder's
 * per-call overhead; undefined for anything else.
 */
function shortAscii(memory: Uint8Array, ptr: number, len: number): string | undefined {
  if (len > 64 || ptr + len > memory.length) return undefined;
  let text = "";
  for (let i = ptr; i < ptr + len; i++) {
    const byte = memory[i]!;
    if (byte > 127) return undefined;
    text += String.fromCharCode(byte);
  }
  return text;
}

function trapping<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw asGuestTrap(err);
  }
}

function asGuestTrap(err: unknown): GuestTrap {
  if (err instanceof GuestTrap) return err;
  // RuntimeError (unreachable, out of bounds, stack overflow) or a RangeError from V8.
  return new GuestTrap(err instanceof Error ? `${err.name}: ${err.message}` : String(err));
}
