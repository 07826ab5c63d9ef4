/**
 * What every metered guest shares, whatever its ABI (docs/runtime.md): a module built by
 * transform/instrument.ts whose listed imports and `wactor.tick` can suspend, one of two ways
 * (suspension.ts). With JSPI the engine keeps the suspended stack: each instance runs its
 * operations in one serve loop entered once through `WebAssembly.promising` (it waits at
 * `wactor.next` between operations), and an import that must wait raises the module's
 * suspend flag, so its trampoline calls `wactor.wait` (a `WebAssembly.Suspending` import)
 * whose promise the pool settles. With asyncify, a suspension unwinds the guest's stack into
 * a region of its own memory and the pool rewinds it to the same point. The ABI adapters
 * (metered-guest.ts for waPC actors, reactr/runnable-guest.ts for Reactr runnables) supply the
 * imports and the entry point; this holds the suspend protocol of both modes and the tick.
 */
import type { HttpRequest } from "../codec/http.js";
import type { HttpClientRequest, HttpClientResponse } from "../codec/http-client.js";
import type { JobRequest } from "../codec/job.js";
import { GuestTrap, type GuestCallResult, type HostCallResult } from "./wapc-guest.js";
import { jspi, type SuspensionMode } from "./suspension.js";
import { ARG_NAME, DONE_NAME, FUEL_GLOBAL, FUEL_PER_TICK, NEXT_NAME, SERVE_EXPORT, SUSPEND_FLAG, TICK_NAME, WAIT_NAME } from "./transform/metering-abi.js";

export const WASM_PAGE = 65536;
/** asyncify's saved stack: locals and call indexes of the frames between export and import. */
export const SUSPEND_STACK_PAGES = 2;

const UNWINDING = 1;
const REWINDING = 2;

export type { GuestKind } from "./guest-kind.js";

/**
 * An operation's payload: its bytes, or, for a runnable on this host, a request as its fields
 * (`HandleRequest` from the http_server provider, `Job` from a bundle's step), handed over
 * without the MessagePack round trip.
 */
export type GuestInput = Uint8Array | HttpRequest | JobRequest;

/** What the guest is waiting for when a step returns unfinished. */
export type Suspension = { kind: "host-call"; reply: Promise<Uint8Array | HttpClientResponse> } | { kind: "yield" };

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
  /**
   * Where offered (a pool on the host thread, whose host takes it): a `wascc:http_client`
   * Request made as its fields and answered as its fields, through the same claims gate and
   * the same authorizer as `hostCall`, with no MessagePack either way.
   */
  httpClient?(binding: string, request: HttpClientRequest): Promise<HttpClientResponse> | HostCallResult;
  /** Called on every tick: "trap" past the deadline, "yield" past the slice. */
  tick(): "run" | "yield" | "trap";
  consoleLog?(line: string): void;
}

/**
 * What the pools drive: one operation at a time, through every suspension. A step is known
 * at once with asyncify, and a microtask later with JSPI (the engine resumes the guest in
 * a promise reaction), so it may come as a promise. A trap throws (or rejects with) GuestTrap.
 */
/**
 * What `beginDirect` returns when the operation needed to suspend: nothing of it is answered,
 * the instance is spent (its stack was thrown out of mid-operation) and the operation must
 * start again on the serve loop. `wait`: it made a host call; `slice`: it ran out of its slice
 * (or of the caller's stack), which a pause of the thread may cause once.
 */
export interface Restart {
  readonly restart: "wait" | "slice";
}
export const RESTART_WAIT: Restart = Object.freeze({ restart: "wait" });
export const RESTART_SLICE: Restart = Object.freeze({ restart: "slice" });

export interface Guest {
  /** Linear memory in bytes, the suspend region included. */
  readonly memoryBytes: number;
  /** What the runtime added to the guest's memory (asyncify's suspend region). */
  readonly suspendRegionBytes: number;
  /** Starts an operation; runs until it finishes or suspends. Only a runnable is given a request's fields. */
  begin(operation: Uint8Array, payload: GuestInput): Step | Promise<Step>;
  /** Continues a suspended operation; `reply` settles a host call (undefined after a yield). */
  resume(reply?: HostCallResult): Step | Promise<Step>;
  /**
   * JSPI only: starts an operation whose first step goes to `waiter` as soon as it is known,
   * from inside the guest's `done` (or `wait`), without a promise of its own.
   */
  beginWith?(operation: Uint8Array, payload: GuestInput, waiter: StepWaiter): void;
  /**
   * JSPI only: runs an operation as a plain call on the caller's stack, without the serve
   * loop's two stack switches and promise hops (docs/runtime.md, "Direct calls"): its step, or
   * a Restart where it would have had to suspend.
   */
  beginDirect?(operation: Uint8Array, payload: GuestInput): Step | Restart;
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
  /** JSPI only. */
  [SUSPEND_FLAG]: WebAssembly.Global;
}

/** How a module suspends, from what the transform exported (cached: modules are shared). */
const modes = new WeakMap<WebAssembly.Module, SuspensionMode>();
export function suspensionModeOf(module: WebAssembly.Module): SuspensionMode {
  let mode = modes.get(module);
  if (mode === undefined) {
    mode = WebAssembly.Module.exports(module).some((e) => e.name === SUSPEND_FLAG) ? "jspi" : "asyncify";
    modes.set(module, mode);
  }
  return mode;
}

/** One operation's next step, while the engine runs the guest (JSPI). */
export interface StepWaiter {
  resolve(step: Step): void;
  reject(err: unknown): void;
}

/** Thrown through a directly called guest where it would suspend: the call is abandoned. */
class WouldSuspend extends Error {}

/** What `enter` returns for a step handed to a waiter of the caller's (never settles). */
const HANDED_OVER = new Promise<Step>(() => undefined);
const RESOLVED = Promise.resolve();

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
  /** Set by instantiate: suspensions by the engine (JSPI) rather than by asyncify. */
  protected jspi = false;
  // JSPI: who waits for the next step, what wakes the suspended guest, and what turns the
  // awaited reply into the suspended import's value.
  #waiter: StepWaiter | undefined;
  /** Between `done` and the loop's next `next`; and whether an operation was begun meanwhile. */
  #returning = false;
  #begun = false;
  /** beginWith's waiter, taken by the entry call it makes. */
  #handTo: StepWaiter | undefined;
  /** An operation runs as a plain call (enterDirect); and whether it tried to suspend. */
  #direct = false;
  #wouldSuspend: Restart | undefined;
  #wake: ((value: number) => void) | undefined;
  #onReply: ((reply: HostCallResult) => number) | undefined;
  // JSPI's serve loop: what starts the next operation, its arguments and how it ends.
  #next: (() => void) | undefined;
  #args: readonly number[] = [];
  #onReturn: ((value: unknown) => Step) | undefined;
  #onThrow: ((err: unknown) => Step) | undefined;

  protected constructor(hooks: GuestHooks) {
    this.hooks = hooks;
  }

  abstract begin(operation: Uint8Array, payload: GuestInput): Step | Promise<Step>;
  abstract resume(reply?: HostCallResult): Step | Promise<Step>;

  beginWith(operation: Uint8Array, payload: GuestInput, waiter: StepWaiter): void {
    this.#handTo = waiter;
    let step: Step | Promise<Step>;
    try {
      step = this.begin(operation, payload);
    } finally {
      this.#handTo = undefined;
    }
    // Answered without entering the guest (a runnable's unknown operation, say).
    if (step === HANDED_OVER) return;
    if (step instanceof Promise) step.then(waiter.resolve, waiter.reject);
    else waiter.resolve(step);
  }

  /** Through the cached view: reading `memory.buffer` each time cost ~0.05 µs per invocation. */
  get memoryBytes(): number {
    return this.memory().byteLength;
  }

  get suspendRegionBytes(): number {
    return this.jspi ? 0 : SUSPEND_STACK_PAGES * WASM_PAGE;
  }

  /**
   * The memory as bytes: one view, made again only when memory grew (growing detaches the
   * old buffer, and a view of a detached buffer has length 0, cheaper to test than reading
   * `memory.buffer` each time).
   */
  protected memory(): Uint8Array {
    return this.#view.length !== 0 ? this.#view : (this.#view = new Uint8Array(this.exports.memory.buffer));
  }

  /** Instantiates, trapping as GuestTrap. `imports` gets `wactor.wait` for a JSPI module. */
  protected instantiate(module: WebAssembly.Module, imports: WebAssembly.Imports): void {
    this.jspi = suspensionModeOf(module) === "jspi";
    if (this.jspi) {
      if (!jspi) throw new GuestTrap("the module was instrumented for JSPI, which this engine does not have");
      Object.assign(imports.wactor as Record<string, unknown>, {
        [WAIT_NAME]: new jspi.Suspending(() => this.#waitImport()),
        [NEXT_NAME]: new jspi.Suspending(() => this.#nextImport()),
        [ARG_NAME]: (i: number) => this.#args[i],
        [DONE_NAME]: (value: number) => this.#done(value),
      });
    }
    const instance = trapping(() => new WebAssembly.Instance(module, imports));
    this.exports = instance.exports as unknown as SuspendableExports;
  }

  /**
   * Runs the module's own initializers (each once, in order, when exported), then grows the
   * suspend region: after the guest's allocator has taken what it wants (AssemblyScript's
   * takes memory up to `memory.size` when it starts), so it can never hand the region out.
   * Ticks during initialization may trap but not yield (there is nowhere to keep a stack yet;
   * with JSPI the initializers are not called through `promising`). A JSPI guest needs no region.
   */
  protected initialize(initializers: readonly string[], call: (init: () => void) => void = (init) => init()): void {
    for (const name of initializers) {
      const init = (this.exports as unknown as Record<string, unknown>)[name];
      if (typeof init === "function") trapping(() => call(init as () => void));
    }
    if (this.jspi) {
      this.#stackAt = 0;
      const serve = (this.exports as unknown as Record<string, () => void>)[SERVE_EXPORT]!;
      // Runs until the loop waits for its first operation; a trap ends it with the instance.
      jspi!
        .promising(serve)()
        .then(
          () => undefined,
          (err: unknown) => this.#ended(err),
        );
      return;
    }
    const grown = trapping(() => this.exports.memory.grow(SUSPEND_STACK_PAGES));
    this.#stackAt = grown * WASM_PAGE;
  }

  /**
   * Runs an operation until it finishes or suspends: asyncify calls `call`, JSPI hands `args`
   * to the serve loop's entry call. `onReturn` makes the finished step from the entry's value,
   * `onThrow` from what it threw (or throws itself). With JSPI both are called later, when the
   * operation ends, however many suspensions later.
   */
  protected enter(call: () => unknown, args: readonly number[], onReturn: (value: unknown) => Step, onThrow: (err: unknown) => Step): Step | Promise<Step> {
    if (!this.jspi) {
      let value: unknown;
      try {
        value = call();
      } catch (err) {
        return onThrow(err);
      }
      const suspension = this.unwound();
      return suspension ? { done: false, suspension } : onReturn(value);
    }
    const next = this.#next;
    if (next === undefined && !this.#returning) throw new GuestTrap("the instance is not waiting for an operation (it trapped)");
    this.#next = undefined;
    const step = this.#handTo === undefined ? this.#nextStep() : this.#handOver(this.#handTo);
    this.#args = args;
    this.#onReturn = onReturn;
    this.#onThrow = onThrow;
    // Begun from inside `done` (the pool answered there and gave the instance the next queued
    // operation): the loop finds it when it comes back to `next`.
    if (next === undefined) this.#begun = true;
    else next();
    return step;
  }

  /**
   * Runs an operation as a plain call (JSPI only): the step, or a Restart when the guest tried
   * to suspend (WouldSuspend thrown through it, or swallowed by a guest that catches everything)
   * or ran out of stack (the serve loop's stack is the engine's, not the caller's).
   */
  protected enterDirect(call: () => unknown, onReturn: (value: unknown) => Step, onThrow: (err: unknown) => Step): Step | Restart {
    this.#direct = true;
    this.#wouldSuspend = undefined;
    let value: unknown;
    try {
      value = call();
    } catch (err) {
      if (this.#wouldSuspend) return this.#wouldSuspend;
      if (err instanceof RangeError && err.message.includes("call stack")) return RESTART_SLICE;
      return onThrow(err);
    } finally {
      this.#direct = false;
    }
    return this.#wouldSuspend ?? onReturn(value);
  }

  /** For an import that may suspend: throws WouldSuspend in a direct call, before the import does anything. */
  protected notDirect(why: Restart = RESTART_WAIT): void {
    if (!this.#direct) return;
    this.#wouldSuspend = why;
    throw new WouldSuspend("the operation must suspend: it starts again on the serve loop");
  }

  /** `wactor.next`: waits for an operation, unless one was begun while the last one returned. */
  #nextImport(): Promise<void> {
    this.#returning = false;
    if (!this.#begun) return new Promise<void>((resolve) => (this.#next = resolve));
    this.#begun = false;
    return RESOLVED;
  }

  /** `wactor.done`: the operation's entry returned (the loop then waits at `next` again). */
  #done(value: number): void {
    this.#returning = true;
    const onReturn = this.#onReturn!;
    this.#onReturn = this.#onThrow = undefined;
    this.#deliver(onReturn, value);
  }

  /** The serve loop ended: a trap (or a deadline) in the running operation. */
  #ended(err: unknown): void {
    const onThrow = this.#onThrow;
    this.#onReturn = this.#onThrow = undefined;
    this.#next = undefined;
    this.#returning = this.#begun = false;
    if (onThrow !== undefined) this.#deliver(onThrow, err);
  }

  /** Continues a suspended operation: asyncify re-enters the export (`again`), JSPI wakes the engine's stack. */
  protected continueWith(reply: HostCallResult | undefined, again: () => Step | Promise<Step>): Step | Promise<Step> {
    if (!this.jspi) {
      this.startRewind(reply);
      return again();
    }
    const step = this.#nextStep();
    const onReply = this.#onReply;
    const wake = this.#wake!;
    this.#onReply = undefined;
    this.#wake = undefined;
    wake(onReply !== undefined && reply !== undefined ? onReply(reply) : 0);
    return step;
  }

  #nextStep(): Promise<Step> {
    return new Promise<Step>((resolve, reject) => (this.#waiter = { resolve, reject }));
  }

  /** The step goes to beginWith's waiter: what enter returns is not looked at. */
  #handOver(waiter: StepWaiter): Promise<Step> {
    this.#waiter = waiter;
    return HANDED_OVER;
  }

  /** The step `make(value)` goes to whoever waits for it (no closure per operation). */
  #deliver(make: (value: unknown) => Step, value: unknown): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    if (waiter === undefined) return; // dropped while suspended
    try {
      waiter.resolve(make(value));
    } catch (err) {
      waiter.reject(err);
    }
  }

  /** `wactor.wait`: the guest is suspended here until `continueWith` wakes it with the import's value. */
  #waitImport(): Promise<number> {
    const suspension = this.#suspension!;
    this.#suspension = undefined;
    const resumed = new Promise<number>((resolve) => (this.#wake = resolve));
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.resolve({ done: false, suspension });
    return resumed;
  }

  /**
   * JSPI: the instance is dropped; a guest suspended at `wait` is never woken (resuming it
   * would run guest code, which may catch what it is thrown), and its stack goes with it.
   */
  protected forget(): void {
    this.#waiter = undefined;
    this.#wake = undefined;
    this.#onReply = undefined;
    this.#next = undefined;
    this.#returning = this.#begun = false;
    this.#onReturn = this.#onThrow = undefined;
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

  /**
   * Starts suspending; false (nothing done) where the guest may not suspend. `onReply` turns
   * the reply into the suspended import's value (JSPI; with asyncify the rewound import does).
   */
  protected suspend(suspension: Suspension, onReply?: (reply: HostCallResult) => number): boolean {
    if (!this.#suspendable) return false;
    this.notDirect(suspension.kind === "yield" ? RESTART_SLICE : RESTART_WAIT);
    if (this.jspi) {
      this.#suspension = suspension;
      this.#onReply = onReply;
      this.exports[SUSPEND_FLAG].value = 1;
      return true;
    }
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
    if (this.jspi || exports === undefined || exports.asyncify_get_state() !== REWINDING) return false;
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
