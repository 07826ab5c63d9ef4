/**
 * One waPC guest (docs/wascc-protocol.md §1) built by transform/instrument.ts, run on the host thread:
 * the waPC adapter over the shared suspendable core (suspendable-guest.ts). Its
 * `__host_call` suspends: the guest's stack is unwound, the provider's promise is awaited by
 * the caller, and the guest is rewound to the same point with the reply. Its `wactor.tick`
 * lets the scheduler trap it past its deadline or suspend it past its slice.
 */
import { copyOut } from "../copy-out.js";
import { abortMessage, GuestTrap, type HostCallResult } from "../wapc-guest.js";
import { TICK_MODULE } from "../transform/metering-abi.js";
import { asGuestTrap, SuspendableGuest, type Restart, type GuestHooks, type Step } from "../suspendable-guest.js";

export { DeadlineTrap, SUSPEND_STACK_PAGES, WASM_PAGE, type GuestHooks as MeteredGuestHooks, type Step, type Suspension } from "../suspendable-guest.js";

const EMPTY = new Uint8Array(0);
const utf8 = new TextDecoder();
const toUtf8 = new TextEncoder();

type GuestCall = (opLength: number, msgLength: number) => number;

export class MeteredGuest extends SuspendableGuest {
  #guestCall!: GuestCall;
  #operation: Uint8Array = EMPTY;
  #payload: Uint8Array = EMPTY;
  #response: Uint8Array | undefined;
  #error: string | undefined;
  #hostResponse: Uint8Array = EMPTY;
  #hostError: Uint8Array = EMPTY;

  private constructor(module: WebAssembly.Module, hooks: GuestHooks) {
    super(hooks);
    this.instantiate(module, this.#imports());
    this.#guestCall = (this.exports as unknown as { __guest_call: GuestCall }).__guest_call;
  }

  /** Instantiates and runs `_start` and `wapc_init`, then may suspend from then on. */
  static create(module: WebAssembly.Module, hooks: GuestHooks): MeteredGuest {
    const guest = new MeteredGuest(module, hooks);
    guest.initialize(["_start", "wapc_init"]);
    guest.suspendable = true;
    return guest;
  }

  begin(operation: Uint8Array, payload: Uint8Array): Step | Promise<Step> {
    this.#operation = operation;
    this.#payload = payload;
    this.#response = undefined;
    this.#error = undefined;
    return this.#step();
  }

  beginDirect(operation: Uint8Array, payload: Uint8Array): Step | Restart {
    this.#operation = operation;
    this.#payload = payload;
    this.#response = undefined;
    this.#error = undefined;
    return this.enterDirect(this.#call, this.#finished, this.#trapped);
  }

  resume(reply?: HostCallResult): Step | Promise<Step> {
    return this.continueWith(reply, this.#step);
  }

  dispose(): void {
    this.forget();
  }

  /**
   * The fuel is not refilled here: what is left over from the last step only brings the next
   * look at the clock earlier (each tick refills it), and setting a Wasm global from JS on
   * every step cost ~1 % of an invocation with one host call.
   */
  readonly #step = (): Step | Promise<Step> => {
    const args = this.#args;
    args[0] = this.#operation.length;
    args[1] = this.#payload.length;
    return this.enter(this.#call, args, this.#finished, this.#trapped);
  };
  /** `__guest_call`'s arguments, one array per instance (it runs one operation at a time). */
  readonly #args = [0, 0];
  readonly #call = (): unknown => this.#guestCall(this.#operation.length, this.#payload.length);
  readonly #trapped = (err: unknown): Step => {
    throw asGuestTrap(err);
  };
  readonly #finished = (status: unknown): Step => {
    this.#payload = EMPTY;
    if (status === 1) return { done: true, result: { ok: true, payload: this.#response ?? EMPTY } };
    return { done: true, result: { ok: false, error: this.#error ?? `guest call '${utf8.decode(this.#operation)}' failed without an error message` } };
  };
  readonly #answerReply = (result: HostCallResult): number => this.#answer(result);

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
    const read = (ptr: number, len: number): Uint8Array => copyOut(this.memory(), ptr, len);
    const readString = (ptr: number, len: number): string => shortAscii(this.memory(), ptr, len) ?? utf8.decode(this.memory().subarray(ptr, ptr + len));
    // A guest names the same binding, namespace and operation call after call: each position
    // remembers its last text and returns it while the bytes are the same.
    const [binding, namespace, operation] = [new RememberedText(), new RememberedText(), new RememberedText()];
    return {
      wapc: {
        __guest_request: (opPtr: number, msgPtr: number) => {
          const mem = this.memory();
          mem.set(this.#operation, opPtr);
          mem.set(this.#payload, msgPtr);
        },
        __guest_response: (ptr: number, len: number) => void (this.#response = read(ptr, len)),
        __guest_error: (ptr: number, len: number) => void (this.#error = readString(ptr, len)),
        __host_call: (bdPtr: number, bdLen: number, nsPtr: number, nsLen: number, opPtr: number, opLen: number, ptr: number, len: number) => {
          this.notDirect();
          if (this.rewound()) return this.#answer(this.resumeWith!);
          const mem = this.memory();
          const answer = this.hooks.hostCall(
            binding.read(mem, bdPtr, bdLen) ?? readString(bdPtr, bdLen),
            namespace.read(mem, nsPtr, nsLen) ?? readString(nsPtr, nsLen),
            operation.read(mem, opPtr, opLen) ?? readString(opPtr, opLen),
            read(ptr, len),
          );
          if (!(answer instanceof Promise)) return this.#answer(answer);
          if (!this.suspend({ kind: "host-call", reply: answer }, this.#answerReply)) {
            // During initialization there is no suspend region yet: refuse, do not block.
            void answer.catch(() => undefined);
            return this.#answer({ ok: false, error: "host calls are not available while the actor initializes" });
          }
          return 0;
        },
        __host_response_len: () => this.#hostResponse.length,
        __host_response: (ptr: number) => this.memory().set(this.#hostResponse, ptr),
        __host_error_len: () => this.#hostError.length,
        __host_error: (ptr: number) => this.memory().set(this.#hostError, ptr),
        __console_log: (ptr: number, len: number) => this.hooks.consoleLog?.(readString(ptr, len)),
      },
      [TICK_MODULE]: this.tickImport(),
      env: {
        abort: (msgPtr: number, filePtr: number, line: number, column: number) => {
          throw new GuestTrap(abortMessage(this.memory(), msgPtr, filePtr, line, column));
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
