/**
 * What every metered guest shares, whatever its ABI (docs/runtime.md): a module built by
 * transform/instrument.ts whose listed imports and `wactor.tick` can suspend. A suspension
 * unwinds the guest's stack into a region of its own memory (asyncify); the pool awaits what
 * the guest waits for and rewinds it to the same point. The ABI adapters (metered-guest.ts
 * for waPC actors, reactr/runnable-guest.ts for Reactr runnables) supply the imports and the
 * entry point; this holds the suspend region, the unwind/rewind protocol and the tick.
 */
import { GuestTrap, type GuestCallResult, type HostCallResult } from "./wapc-guest.js";
import { FUEL_GLOBAL, FUEL_PER_TICK, TICK_NAME } from "./transform/metering-abi.js";

export const WASM_PAGE = 65536;
/** asyncify's saved stack: locals and call indexes of the frames between export and import. */
export const SUSPEND_STACK_PAGES = 2;

const UNWINDING = 1;
const REWINDING = 2;

export type { GuestKind } from "./guest-kind.js";

/** What the guest is waiting for when a step returns unfinished. */
export type Suspension = { kind: "host-call"; reply: Promise<Uint8Array> } | { kind: "yield" };

/**
 * `discard`: the operation has its answer but the instance must not serve again (a runnable
 * that reported an error and then trapped: the error is the answer, the instance is spent).
 */
export type Step = { done: true; result: GuestCallResult; discard?: boolean } | { done: false; suspension: Suspension };

/** Past its deadline the guest is stopped where it stands; the instance must be discarded. */
export class DeadlineTrap extends GuestTrap {
  constructor() {
    super("deadline exceeded");
    this.name = "DeadlineTrap";
  }
}

export interface GuestHooks {
  /** A denial (string) is answered at once; a promise suspends the guest until it settles. */
  hostCall(binding: string, namespace: string, operation: string, payload: Uint8Array): Promise<Uint8Array> | HostCallResult;
  /** Called on every tick: "trap" past the deadline, "yield" past the slice. */
  tick(): "run" | "yield" | "trap";
  consoleLog?(line: string): void;
}

/** What the pools drive: one operation at a time, through every suspension. */
export interface Guest {
  /** Linear memory in bytes, the suspend region included. */
  readonly memoryBytes: number;
  /** Starts an operation; runs until it finishes or suspends. A trap throws GuestTrap. */
  begin(operation: Uint8Array, payload: Uint8Array): Step;
  /** Continues a suspended operation; `reply` settles a host call (undefined after a yield). */
  resume(reply?: HostCallResult): Step;
  /** The instance is dropped (a deadline or a stop may leave an operation unfinished). */
  dispose?(): void;
}

export interface SuspendableExports {
  memory: WebAssembly.Memory;
  asyncify_start_unwind(data: number): void;
  asyncify_stop_unwind(): void;
  asyncify_start_rewind(data: number): void;
  asyncify_stop_rewind(): void;
  asyncify_get_state(): number;
  [FUEL_GLOBAL]: WebAssembly.Global;
}

export abstract class SuspendableGuest implements Guest {
  /** Unset while `new WebAssembly.Instance` runs the module's start function. */
  protected exports!: SuspendableExports;
  protected readonly hooks: GuestHooks;
  /** The settled reply a rewound import returns (undefined after a yield). */
  protected resumeWith: HostCallResult | undefined;
  /** Start of the suspend region, grown after the guest's own initialization. */
  #stackAt = -1;
  /** While false a tick may trap but not yield, and a host call may not suspend. */
  #suspendable = false;
  #suspension: Suspension | undefined;
  #view = new Uint8Array(0);

  protected constructor(hooks: GuestHooks) {
    this.hooks = hooks;
  }

  abstract begin(operation: Uint8Array, payload: Uint8Array): Step;
  abstract resume(reply?: HostCallResult): Step;

  get memoryBytes(): number {
    return this.exports.memory.buffer.byteLength;
  }

  /**
   * The memory as bytes: one view, made again only when memory grew (growing detaches the
   * old buffer, and a view of a detached buffer has length 0, cheaper to test than reading
   * `memory.buffer` each time).
   */
  protected memory(): Uint8Array {
    return this.#view.length !== 0 ? this.#view : (this.#view = new Uint8Array(this.exports.memory.buffer));
  }

  /** Instantiates, trapping as GuestTrap. */
  protected instantiate(module: WebAssembly.Module, imports: WebAssembly.Imports): void {
    const instance = trapping(() => new WebAssembly.Instance(module, imports));
    this.exports = instance.exports as unknown as SuspendableExports;
  }

  /**
   * Runs the module's own initializers (each once, in order, when exported), then grows the
   * suspend region: after the guest's allocator has taken what it wants (AssemblyScript's
   * takes memory up to `memory.size` when it starts), so it can never hand the region out.
   * Ticks during initialization may trap but not yield (there is nowhere to keep a stack yet).
   */
  protected initialize(initializers: readonly string[], call: (init: () => void) => void = (init) => init()): void {
    for (const name of initializers) {
      const init = (this.exports as unknown as Record<string, unknown>)[name];
      if (typeof init === "function") trapping(() => call(init as () => void));
    }
    const grown = trapping(() => this.exports.memory.grow(SUSPEND_STACK_PAGES));
    this.#stackAt = grown * WASM_PAGE;
  }

  /** Lets ticks yield and host calls suspend (or not): a runnable allows it only inside `run_e`. */
  protected set suspendable(on: boolean) {
    this.#suspendable = on && this.#stackAt >= 0;
  }

  protected get suspendable(): boolean {
    return this.#suspendable;
  }

  /** Called before re-entering the export that suspended: the next import call is the rewound one. */
  protected startRewind(reply: HostCallResult | undefined): void {
    this.resumeWith = reply;
    this.exports.asyncify_start_rewind(this.#stackAt);
  }

  /** After the export returned: the suspension if it unwound (the unwind finished), else undefined. */
  protected unwound(): Suspension | undefined {
    const exports = this.exports;
    if (exports.asyncify_get_state() !== UNWINDING) return undefined;
    exports.asyncify_stop_unwind();
    const suspension = this.#suspension!;
    this.#suspension = undefined;
    return suspension;
  }

  /** Starts unwinding; false (nothing done) where the guest may not suspend. */
  protected suspend(suspension: Suspension): boolean {
    if (!this.#suspendable) return false;
    // asyncify's data header: where its saved stack starts and ends (two little-endian i32).
    const memory = new DataView(this.exports.memory.buffer);
    memory.setInt32(this.#stackAt, this.#stackAt + 8, true);
    memory.setInt32(this.#stackAt + 4, this.#stackAt + SUSPEND_STACK_PAGES * WASM_PAGE, true);
    this.#suspension = suspension;
    this.exports.asyncify_start_unwind(this.#stackAt);
    return true;
  }

  /** True (and the rewind finished) when this import call is the rewound one. */
  protected rewound(): boolean {
    const exports = this.exports;
    if (exports === undefined || exports.asyncify_get_state() !== REWINDING) return false;
    exports.asyncify_stop_rewind();
    return true;
  }

  /** The `wactor.tick` import: refills the fuel, traps past the deadline, yields past the slice. */
  protected tickImport(): Record<string, () => void> {
    return {
      [TICK_NAME]: () => {
        if (this.rewound()) return;
        if (this.exports !== undefined) this.exports[FUEL_GLOBAL].value = FUEL_PER_TICK;
        const decision = this.hooks.tick();
        if (decision === "trap") throw new DeadlineTrap();
        if (decision === "yield") this.suspend({ kind: "yield" });
      },
    };
  }
}

export function trapping<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw asGuestTrap(err);
  }
}

export function asGuestTrap(err: unknown): GuestTrap {
  if (err instanceof GuestTrap) return err;
  // RuntimeError (unreachable, out of bounds, stack overflow) or a RangeError from V8.
  return new GuestTrap(err instanceof Error ? `${err.name}: ${err.message}` : String(err));
}
