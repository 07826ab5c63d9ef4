/**
 * The instances of one actor as Wasm instance objects on the host thread (docs/runtime.md).
 * Instances are made on demand up to `instances` (they cost memory only: an idle one is a
 * Wasm memory and an object) and each runs one invocation at a time (actor model). A host
 * call suspends its instance while the provider answers; a guest past its slice yields to
 * the scheduler; a guest past its deadline traps. A trapped instance is discarded and its
 * neighbours never notice.
 */
import { WactorError, isWactorError } from "../errors.js";
import type { ActorPool } from "./actor-pool.js";
import { guestErrorText } from "./channel.js";
import { CircuitBreaker, type BreakerOptions } from "./circuit-breaker.js";
import { ClaimsGate, type GateIdentity } from "./claims-gate.js";
import { DeadlineTrap, MeteredGuest, SUSPEND_STACK_PAGES, WASM_PAGE, type Step } from "./metered-guest.js";
import { sharedScheduler, type Scheduler, type SchedulingState, type Turn } from "./scheduler.js";
import { GuestTrap, type GuestCallResult, type HostCallResult } from "./wapc-guest.js";
import type { HostCallRequest } from "./worker-protocol.js";

export interface MeteredPoolOptions {
  /** Instrumented (transform/instrument.ts) and memory-capped. */
  module: WebAssembly.Module;
  identity: GateIdentity;
  /** Most instances at once. */
  instances: number;
  /** Invocations allowed to wait for an instance when all `instances` are busy. */
  maxQueue: number;
  deadlineMs: number;
  maxMemoryBytes: number;
  hostCall: (request: HostCallRequest) => Promise<Uint8Array>;
  onLog?: (line: string) => void;
  onDenied?: (capabilityId: string, binding: string, operation: string, count: number) => void;
  onReplaced?: (reason: "deadline" | "trap") => void;
  breaker?: BreakerOptions;
  scheduler?: Scheduler;
}

/** One instance and what its tick reads: the current slice end and the deadline. */
interface Slot {
  guest: MeteredGuest;
  sliceEnd: number;
  deadline: number;
}

interface Waiting {
  operation: Uint8Array;
  payload: Uint8Array;
  resolve: (payload: Uint8Array) => void;
  reject: (err: unknown) => void;
}

const utf8 = new TextEncoder();

export class MeteredPool implements ActorPool {
  readonly #options: MeteredPoolOptions;
  readonly #scheduler: Scheduler;
  readonly #breaker: CircuitBreaker;
  readonly #gate: ClaimsGate;
  readonly #idle: Slot[] = [];
  readonly #queue: Waiting[] = [];
  readonly #state: SchedulingState = { heavy: false };
  readonly #operations = new Map<string, Uint8Array>();
  #live = 0;
  #inFlight = 0;
  #memoryBytes = 0;
  #closed = false;
  #stopped = false;
  #drained: (() => void) | undefined;

  constructor(options: MeteredPoolOptions) {
    this.#options = options;
    this.#scheduler = options.scheduler ?? sharedScheduler;
    this.#breaker = new CircuitBreaker(options.breaker);
    this.#gate = new ClaimsGate(options.identity, (capabilityId, binding, operation, count) => options.onDenied?.(capabilityId, binding, operation, count));
  }

  /** Makes the first instance, so a module whose initialization fails never starts. */
  async start(): Promise<void> {
    this.#idle.push(this.#create());
  }

  get size(): number {
    return this.#live;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  get queued(): number {
    return this.#queue.length;
  }

  get memoryBytes(): number {
    return this.#memoryBytes;
  }

  /** True while the actor's invocations run in the background (it used whole slices). */
  get heavy(): boolean {
    return this.#state.heavy;
  }

  invoke(operation: string, payload: Uint8Array): Promise<Uint8Array> {
    if (this.#closed) return Promise.reject(new WactorError("WACTOR_ERR_ACTOR_STOPPED"));
    try {
      this.#breaker.check();
    } catch (err) {
      return Promise.reject(err);
    }
    const name = this.#operationBytes(operation);
    const slot = this.#takeSlot();
    if (slot instanceof Error) return Promise.reject(slot);
    if (slot) return this.#run(slot, name, payload);
    if (this.#queue.length >= this.#options.maxQueue) {
      return Promise.reject(new WactorError("WACTOR_ERR_BUSY", `${this.#live} instances busy, ${this.#queue.length} queued`));
    }
    return new Promise((resolve, reject) => this.#queue.push({ operation: name, payload, resolve, reject }));
  }

  /** Stops taking work, lets in-flight and queued invocations finish (bounded), then stops. */
  async drain(timeoutMs: number): Promise<void> {
    this.#closed = true;
    if (this.#inFlight > 0 || this.#queue.length > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.#drained = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    await this.stop();
  }

  async stop(): Promise<void> {
    this.#closed = true;
    this.#stopped = true;
    for (const waiting of this.#queue.splice(0)) waiting.reject(new WactorError("WACTOR_ERR_ACTOR_STOPPED"));
    for (const slot of this.#idle.splice(0)) this.#discard(slot);
  }

  /** Operation names are few: encode each once. */
  #operationBytes(operation: string): Uint8Array {
    let bytes = this.#operations.get(operation);
    if (!bytes) {
      bytes = utf8.encode(operation);
      if (this.#operations.size < 256) this.#operations.set(operation, bytes);
    }
    return bytes;
  }

  /** An idle instance, a new one if there is room, undefined when all are busy. */
  #takeSlot(): Slot | WactorError | undefined {
    const idle = this.#idle.pop();
    if (idle) return idle;
    if (this.#live >= this.#options.instances) return undefined;
    try {
      return this.#create();
    } catch (err) {
      return isWactorError(err) ? err : new WactorError("WACTOR_ERR_TRAP", String(err));
    }
  }

  #create(): Slot {
    const options = this.#options;
    const slot: Slot = { guest: undefined as unknown as MeteredGuest, sliceEnd: Infinity, deadline: performance.now() + options.deadlineMs };
    try {
      slot.guest = MeteredGuest.create(options.module, {
        hostCall: (binding, namespace, operation, payload) => {
          const denied = this.#gate.check(binding, namespace, operation);
          if (denied !== undefined) return { ok: false, error: denied };
          return options.hostCall({ binding, namespace, operation, payload });
        },
        tick: () => {
          const now = performance.now();
          if (now >= slot.deadline) return "trap";
          return now >= slot.sliceEnd ? "yield" : "run";
        },
        consoleLog: options.onLog,
      });
    } catch (err) {
      throw new WactorError(err instanceof DeadlineTrap ? "WACTOR_ERR_DEADLINE" : "WACTOR_ERR_MODULE_COMPILE", `the actor's initialization failed: ${(err as Error).message}`);
    }
    this.#live++;
    this.#memoryBytes += slot.guest.memoryBytes;
    return slot;
  }

  #discard(slot: Slot): void {
    this.#live--;
    this.#memoryBytes -= slot.guest.memoryBytes;
  }

  async #run(slot: Slot, operation: Uint8Array, payload: Uint8Array): Promise<Uint8Array> {
    this.#inFlight++;
    const memoryBefore = slot.guest.memoryBytes;
    let healthy = false;
    let failure: WactorError | undefined;
    try {
      const result = await this.#drive(slot, operation, payload);
      healthy = true;
      this.#breaker.record(undefined);
      if (!result.ok) throw new WactorError("WACTOR_ERR_GUEST_ERROR", result.error);
      return result.payload;
    } catch (err) {
      const error = (failure = this.#classify(slot, err));
      this.#breaker.record(error);
      if (isWactorError(error, "WACTOR_ERR_DEADLINE")) this.#state.heavy = true;
      throw error;
    } finally {
      this.#inFlight--;
      this.#gate.flush();
      if (healthy && !this.#stopped) {
        this.#memoryBytes += slot.guest.memoryBytes - memoryBefore;
        this.#idle.push(slot);
      } else {
        this.#discard(slot);
        if (!healthy && !this.#stopped) this.#options.onReplaced?.(failure?.code === "WACTOR_ERR_DEADLINE" ? "deadline" : "trap");
      }
      this.#pump();
    }
  }

  /** Runs one invocation to its end through every suspension. */
  async #drive(slot: Slot, operation: Uint8Array, payload: Uint8Array): Promise<GuestCallResult> {
    slot.deadline = performance.now() + this.#options.deadlineMs;
    let turn = this.#state.heavy ? await this.#backgroundTurn(slot) : this.#scheduler.foreground();
    let yielded = false;
    let step = this.#slice(slot, turn, () => slot.guest.begin(operation, payload));
    while (!step.done) {
      let reply: HostCallResult | undefined;
      if (step.suspension.kind === "yield") {
        yielded = true;
        this.#state.heavy = true;
        turn = await this.#backgroundTurn(slot);
      } else {
        reply = await this.#beforeDeadline(slot, settle(step.suspension.reply));
        turn = this.#state.heavy ? await this.#backgroundTurn(slot) : this.#scheduler.foreground();
      }
      if (this.#stopped) {
        turn.end();
        throw new WactorError("WACTOR_ERR_ACTOR_STOPPED");
      }
      step = this.#slice(slot, turn, () => slot.guest.resume(reply));
    }
    if (!yielded) this.#state.heavy = false;
    return step.result;
  }

  #slice(slot: Slot, turn: Turn, run: () => Step): Step {
    slot.sliceEnd = turn.sliceEnd;
    try {
      return run();
    } finally {
      turn.end();
    }
  }

  /** A background turn, unless the deadline comes first (then the turn is handed back). */
  async #backgroundTurn(slot: Slot): Promise<Turn> {
    const turn = this.#scheduler.background(this.#state);
    return this.#beforeDeadline(slot, turn, (late) => void late.then((t) => t.end()));
  }

  #beforeDeadline<T>(slot: Slot, promise: Promise<T>, onLate?: (late: Promise<T>) => void): Promise<T> {
    const remaining = slot.deadline - performance.now();
    if (remaining <= 0) {
      onLate?.(promise);
      return Promise.reject(new DeadlineTrap());
    }
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        onLate?.(promise);
        reject(new DeadlineTrap());
      }, remaining);
      promise.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(err);
        },
      );
    });
  }

  /** The catalog error for a failed invocation. */
  #classify(slot: Slot, err: unknown): WactorError {
    if (isWactorError(err)) return err;
    if (err instanceof DeadlineTrap) return new WactorError("WACTOR_ERR_DEADLINE", `${this.#options.deadlineMs} ms`);
    const message = err instanceof GuestTrap ? err.message : String(err);
    // A failed memory.grow shows up as a plain trap (the allocator gives up); a trap with
    // memory this close to the ceiling is that, so report it as such.
    const guestBytes = slot.guest.memoryBytes - SUSPEND_STACK_PAGES * WASM_PAGE;
    if (guestBytes >= this.#options.maxMemoryBytes * 0.9) return new WactorError("WACTOR_ERR_MEMORY_LIMIT", message);
    return new WactorError("WACTOR_ERR_TRAP", message);
  }

  #pump(): void {
    while (this.#queue.length > 0 && !this.#stopped) {
      const slot = this.#takeSlot();
      if (!slot) break;
      const next = this.#queue.shift()!;
      if (slot instanceof Error) next.reject(slot);
      else this.#run(slot, next.operation, next.payload).then(next.resolve, next.reject);
    }
    if (this.#inFlight === 0 && this.#queue.length === 0) this.#drained?.();
  }
}

function settle(reply: Promise<Uint8Array>): Promise<HostCallResult> {
  return reply.then(
    (payload): HostCallResult => ({ ok: true, payload }),
    (err: unknown): HostCallResult => ({ ok: false, error: guestErrorText(err) }),
  );
}
