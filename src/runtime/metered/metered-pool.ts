/**
 * The instances of one actor as Wasm instance objects on the host thread (docs/runtime.md).
 * Instances are made on demand up to `instances` (they cost memory only: an idle one is a
 * Wasm memory and an object) and each runs one invocation at a time (actor model). A host
 * call suspends its instance while the provider answers; a guest past its slice yields to
 * the scheduler; a guest past its deadline traps. A trapped instance is discarded and its
 * neighbours never notice.
 */
import { decodeHttpResponse, encodeHttpRequest, type HttpRequest, type HttpResponse } from "../../codec/http.js";
import { OP_JOB, decodeJobReply, encodeJobRequest, type JobReply, type JobRequest } from "../../codec/job.js";
import { OP_HANDLE_REQUEST } from "../../codec/operations.js";
import { WactorError, isWactorError } from "../../errors.js";
import type { ActorPool } from "../actor-pool-interface.js";
import { untilIdle } from "../bounded-wait.js";
import { CircuitBreaker, type BreakerOptions } from "../circuit-breaker.js";
import { ClaimsGate, type GateIdentity } from "../claims-gate.js";
import { DeadlineSweeper } from "./deadline-sweeper.js";
import { createSlot, type Slot, type SlotOptions } from "./metered-slot.js";
import { SlotSupply } from "./slot-supply.js";
import type { InvocationTrace } from "../invocation-trace.js";
import { DeadlineTrap, suspensionModeOf, type GuestInput, type Restart, type Step, type StepWaiter } from "../suspendable-guest.js";
import { sharedScheduler, type Scheduler, type SchedulingState, type Turn } from "./scheduler.js";
import { DirectCalls } from "./direct-calls.js";
import { GuestTrap, type HostCallResult } from "../wapc-guest.js";

export interface MeteredPoolOptions extends SlotOptions {
  identity: GateIdentity;
  /** Most instances at once. */
  instances: number;
  /** Invocations allowed to wait for an instance when all `instances` are busy. */
  maxQueue: number;
  maxMemoryBytes: number;
  onDenied?: (capabilityId: string, binding: string, operation: string, count: number) => void;
  onReplaced?: (reason: "deadline" | "trap") => void;
  onDirectOff?: (reason: "wait" | "slice") => void;
  onDirectOn?: () => void;
  breaker?: BreakerOptions;
  scheduler?: Scheduler;
  /** false: JSPI invocations always run on the serve loop (tests compare both ways). */
  direct?: boolean;
}

/**
 * An actor turns heavy (its invocations start in the background) when this many invocations in
 * a row outran their first slice: one overrun may be the OS or the garbage collector pausing
 * the thread, not the guest's own work.
 */
const HEAVY_AFTER_OVERRUNS = 3;

/** An invocation's answer: bytes, or the response's fields for a request given as its fields. */
type Reply = Uint8Array | HttpResponse | JobReply;

interface Waiting {
  operation: Uint8Array;
  payload: GuestInput;
  resolve: (reply: Reply) => void;
  reject: (err: unknown) => void;
  trace: InvocationTrace | undefined;
  /** A waPC `HandleRequest` given as fields: its reply is decoded before it is answered. */
  decode: boolean;
}

const utf8 = new TextEncoder();
const EMPTY = new Uint8Array(0);

export class MeteredPool implements ActorPool {
  readonly #options: MeteredPoolOptions;
  readonly #scheduler: Scheduler;
  readonly #breaker: CircuitBreaker;
  readonly #gate: ClaimsGate;
  readonly #slots: SlotSupply;
  readonly #queue: Waiting[] = [];
  readonly #state: SchedulingState = { heavy: false };
  readonly #operations = new Map<string, Uint8Array>();
  readonly #deadlines = new DeadlineSweeper();
  readonly #jspi: boolean;
  /** JSPI invocations try a plain call first (#runDirect) while this says so. */
  readonly #direct: DirectCalls;
  /** Invocations in a row that outran their first slice. */
  #overruns = 0;
  #inFlight = 0;
  #closed = false;
  #stopped = false;
  #drained: (() => void) | undefined;

  constructor(options: MeteredPoolOptions) {
    this.#options = options;
    this.#scheduler = options.scheduler ?? sharedScheduler;
    this.#jspi = suspensionModeOf(options.module) === "jspi";
    this.#direct = new DirectCalls(this.#jspi && options.direct !== false, options);
    this.#breaker = new CircuitBreaker(options.breaker);
    this.#gate = new ClaimsGate(options.identity, (capabilityId, binding, operation, count) => options.onDenied?.(capabilityId, binding, operation, count));
    this.#slots = new SlotSupply(
      options.instances,
      () => {
        const slot = createSlot(options, this.#gate);
        if (this.#jspi) slot.waiter = this.#handedWaiter(slot);
        return slot;
      },
      () => this.#pump(),
    );
  }

  /** Makes the first instance, so a module whose initialization fails never starts. */
  async start(): Promise<void> {
    this.#slots.addFirst();
  }

  get size(): number {
    return this.#slots.live;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  get queued(): number {
    return this.#queue.length;
  }

  get memoryBytes(): number {
    return this.#slots.memoryBytes;
  }

  /** True while invocations are tried as plain calls first (JSPI, until one had to suspend). */
  get direct(): boolean {
    return this.#direct.on;
  }

  /** True while the actor's invocations run in the background (it used whole slices). */
  get heavy(): boolean {
    return this.#state.heavy;
  }

  invoke(operation: string, payload: Uint8Array, trace?: InvocationTrace): Promise<Uint8Array> {
    return promised(this.#submit(operation, payload, trace, false)) as Promise<Uint8Array>;
  }

  /**
   * A `HandleRequest` as its fields. A runnable takes them and answers with the response's
   * fields: no MessagePack either way (about 10 µs per request, docs/runnables.md). A waPC
   * actor gets the waSCC payload its contract names.
   */
  invokeHttp(request: HttpRequest, trace?: InvocationTrace): HttpResponse | Promise<HttpResponse> {
    // A waPC reply is decoded as the invocation ends (#finish), not in a promise of its own.
    if (this.#options.kind !== "runnable")
      return this.#submit(OP_HANDLE_REQUEST, encodeHttpRequest(request), trace, true) as HttpResponse | Promise<HttpResponse>;
    return this.#submit(OP_HANDLE_REQUEST, request, trace, false) as HttpResponse | Promise<HttpResponse>;
  }

  /**
   * A bundle step's `Job` as its fields, the same way (docs/directive.md, "Running a bundle");
   * the reply itself, not a promise, when it ran as a direct call. Failures always reject.
   */
  invokeJob(request: JobRequest, trace?: InvocationTrace): JobReply | Promise<JobReply> {
    if (this.#options.kind !== "runnable") return this.invoke(OP_JOB, encodeJobRequest(request), trace).then(decodeJobReply);
    return this.#submit(OP_JOB, request, trace, false) as JobReply | Promise<JobReply>;
  }

  /** The reply, at once when a direct call answered it; failures always as a rejected promise. */
  #submit(operation: string, payload: GuestInput, trace: InvocationTrace | undefined, decode: boolean): Reply | Promise<Reply> {
    if (this.#closed) return Promise.reject(new WactorError("WACTOR_ERR_ACTOR_STOPPED"));
    try {
      this.#breaker.check();
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#dispatch(this.#operationBytes(operation), payload, trace, decode);
  }

  /** `direct`: false for an operation whose direct call was given up (it starts again on the serve loop). */
  #dispatch(name: Uint8Array, payload: GuestInput, trace: InvocationTrace | undefined, decode: boolean, direct = this.#direct.on): Reply | Promise<Reply> {
    const slot = this.#slots.take();
    if (slot instanceof Error) return Promise.reject(slot);
    if (slot) {
      if (direct && trace === undefined && !this.#state.heavy) return this.#runDirect(slot, name, payload, decode);
      if (this.#handsOver(trace)) return new Promise((resolve, reject) => this.#runHanded(slot, name, payload, decode, resolve, reject));
      trace?.started();
      return this.#run(slot, name, payload, trace, decode);
    }
    if (this.#queue.length >= this.#options.maxQueue) {
      return Promise.reject(new WactorError("WACTOR_ERR_BUSY", `${this.#slots.live} instances busy, ${this.#queue.length} queued`));
    }
    trace?.queued();
    return new Promise((resolve, reject) => this.#queue.push({ operation: name, payload, resolve, reject, trace, decode }));
  }

  /** Stops taking work, lets in-flight and queued invocations finish (bounded), then stops. */
  async drain(timeoutMs: number): Promise<void> {
    this.#closed = true;
    this.#slots.stopMaking();
    await untilIdle(this.#inFlight > 0 || this.#queue.length > 0, timeoutMs, (settle) => (this.#drained = settle));
    await this.stop();
  }

  async stop(): Promise<void> {
    this.#closed = true;
    this.#stopped = true;
    for (const waiting of this.#queue.splice(0)) waiting.reject(new WactorError("WACTOR_ERR_ACTOR_STOPPED"));
    this.#slots.close();
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

  /** Whether an invocation's first step goes straight from the guest to its caller (#runHanded). */
  #handsOver(trace: InvocationTrace | undefined): boolean {
    return this.#jspi && trace === undefined && !this.#state.heavy;
  }

  /** What every invocation does as it starts: one look at the clock, returned. */
  #enter(slot: Slot, trace: InvocationTrace | undefined, decode: boolean): number {
    this.#inFlight++;
    slot.trace = trace;
    slot.decodeHttp = decode;
    const now = performance.now();
    slot.deadline = now + this.#options.deadlineMs;
    return now;
  }

  /**
   * A JSPI invocation as a plain call (docs/runtime.md, "Direct calls"), in the foreground with
   * an absolute slice, as asyncify runs. Where the guest would suspend it is thrown out, its
   * instance dropped, and the invocation starts again on the serve loop; so do this actor's
   * later ones (its operations suspend: a direct try would only be thrown away).
   */
  #runDirect(slot: Slot, operation: Uint8Array, payload: GuestInput, decode: boolean): Reply | Promise<Reply> {
    const now = this.#enter(slot, undefined, decode);
    this.#startSlice(slot, this.#scheduler.foreground(now), now, false);
    let step: Step | Restart;
    try {
      step = slot.guest.beginDirect!(operation, payload);
    } catch (err) {
      return this.#settled(slot, undefined, err);
    }
    if (!("restart" in step)) {
      this.#direct.finished();
      return this.#settled(slot, step, undefined);
    }
    // One slice overrun may be the thread pausing (a collection, a first compile); a host call, or
    // repeated overruns, mean this actor's operations suspend: they go to the serve loop from now on.
    this.#direct.givenUp(step.restart);
    this.#inFlight--;
    slot.trace = undefined;
    this.#slots.drop(slot);
    return this.#dispatch(operation, payload, undefined, decode, false);
  }

  /** #finish of a direct call: the reply itself, a failure as a rejected promise. */
  #settled(slot: Slot, step: Step | undefined, err: unknown): Reply | Promise<Reply> {
    try {
      return this.#finish(slot, step, err, false);
    } catch (failure) {
      return Promise.reject(failure);
    }
  }

  /**
   * A JSPI invocation in the foreground: its first step goes from the guest's `done` to this
   * promise directly, one promise hop less than awaiting the guest's step in #run.
   */
  #runHanded(slot: Slot, operation: Uint8Array, payload: GuestInput, decode: boolean, resolve: (reply: Reply) => void, reject: (err: unknown) => void): void {
    const now = this.#enter(slot, undefined, decode);
    this.#startSlice(slot, this.#scheduler.foreground(now), now);
    // The foreground turn ends with nothing to do (scheduler.ts): it is not ended here.
    slot.resolve = resolve;
    slot.reject = reject;
    try {
      slot.guest.beginWith!(operation, payload, slot.waiter!);
    } catch (err) {
      slot.waiter!.reject(err);
    }
  }

  /**
   * The waiter of an instance's handed-over invocations (#runHanded), made once per instance:
   * it takes the caller's resolve and reject from the slot, so an invocation makes no closures
   * of its own. A first step that suspends goes on in #run (no operation or payload needed).
   */
  #handedWaiter(slot: Slot): StepWaiter {
    // The caller is taken off the slot first: #finish may hand the instance the next invocation.
    const finish = (step: Step | undefined, err: unknown): void => {
      const resolve = slot.resolve!;
      const reject = slot.reject!;
      slot.resolve = slot.reject = undefined;
      try {
        resolve(this.#finish(slot, step, err, false));
      } catch (failure) {
        reject(failure);
      }
    };
    return {
      resolve: (step: Step) => {
        this.#direct.servedOnLoop(step.done);
        if (step.done) return finish(step, undefined);
        const resolve = slot.resolve!;
        const reject = slot.reject!;
        slot.resolve = slot.reject = undefined;
        this.#run(slot, EMPTY, EMPTY, undefined, slot.decodeHttp, step).then(resolve, reject);
      },
      reject: (err: unknown) => {
        this.#direct.servedOnLoop(false);
        finish(undefined, err);
      },
    };
  }

  /** Runs one invocation to its end through every suspension (from its first step when `handed`). */
  async #run(slot: Slot, operation: Uint8Array, payload: GuestInput, trace: InvocationTrace | undefined, decode: boolean, handed?: Step): Promise<Reply> {
    // One look at the clock per step: deadline, foreground turn and slice start share it.
    let now = handed ? 0 : this.#enter(slot, trace, decode);
    let yielded = false;
    let step: Step;
    try {
      if (handed) step = handed;
      else {
        const background = this.#state.heavy;
        const turn = background ? await this.#backgroundTurn(slot) : this.#scheduler.foreground(now);
        if (background) now = performance.now(); // the turn came later
        this.#startSlice(slot, turn, now);
        const first = withinTurn(turn, () => slot.guest.begin(operation, payload));
        // Awaited here, not chained: each chained promise is one more hop per JSPI step.
        if (first instanceof Promise) {
          try {
            step = await first;
          } finally {
            turn.end();
          }
        } else step = first;
      }
      while (!step.done) {
        let reply: HostCallResult | undefined;
        let turn: Turn;
        if (step.suspension.kind === "yield") {
          if (!yielded && ++this.#overruns >= HEAVY_AFTER_OVERRUNS) this.#state.heavy = true;
          yielded = true;
          turn = await this.#backgroundTurn(slot);
          now = performance.now();
        } else {
          reply = await this.#deadlines.reply(slot.deadline, step.suspension.reply);
          if (this.#state.heavy) {
            turn = await this.#backgroundTurn(slot);
            now = performance.now();
          } else {
            now = performance.now();
            turn = this.#scheduler.foreground(now);
          }
        }
        if (this.#stopped) {
          turn.end();
          throw new WactorError("WACTOR_ERR_ACTOR_STOPPED");
        }
        this.#startSlice(slot, turn, now);
        const next = withinTurn(turn, () => slot.guest.resume(reply));
        if (next instanceof Promise) {
          try {
            step = await next;
          } finally {
            turn.end();
          }
        } else step = next;
      }
    } catch (err) {
      return this.#finish(slot, undefined, err, yielded);
    }
    return this.#finish(slot, step, undefined, yielded);
  }

  /** Ends an invocation (its last step, or what it failed with): the answer, or the catalog error thrown. */
  #finish(slot: Slot, step: Step | undefined, err: unknown, yielded: boolean): Reply {
    let failure: WactorError | undefined;
    /** The operation is answered but the instance serves no more (step.discard). */
    let spent = false;
    if (step?.done) {
      if (!yielded) {
        this.#overruns = 0;
        this.#state.heavy = false;
      }
      this.#breaker.record(undefined);
      spent = step.discard === true;
    } else {
      failure = this.#classify(slot, err);
      this.#breaker.record(failure);
      if (failure.code === "WACTOR_ERR_DEADLINE") this.#state.heavy = true;
    }
    this.#inFlight--;
    slot.trace = undefined;
    const decode = slot.decodeHttp;
    slot.decodeHttp = false;
    this.#gate.flush();
    if (!failure && !spent && !this.#stopped) {
      this.#slots.giveBack(slot);
    } else {
      // A trapped, timed-out or stopped instance may hold any state: it is dropped.
      this.#slots.drop(slot);
      if ((failure || spent) && !this.#stopped) this.#options.onReplaced?.(failure?.code === "WACTOR_ERR_DEADLINE" ? "deadline" : "trap");
    }
    this.#pump();
    if (failure) throw failure;
    const result = (step as Step & { done: true }).result;
    if (!result.ok) throw new WactorError(result.code ?? "WACTOR_ERR_GUEST_ERROR", result.error);
    // Decoded once the instance is back: a reply that is no HTTP response fails this call alone.
    return decode ? decodeHttpResponse(result.payload) : (result.response ?? result.job ?? result.payload);
  }

  /**
   * Where the slice ends. A JSPI guest runs a microtask after its step begins, maybe after
   * another guest's long step: its foreground slice starts at its own first tick instead.
   */
  #startSlice(slot: Slot, turn: Turn, now: number, serveLoop = this.#jspi): void {
    if (turn.relative && serveLoop) {
      slot.sliceEnd = Infinity;
      slot.sliceLength = turn.sliceEnd;
    } else {
      slot.sliceEnd = turn.relative ? now + turn.sliceEnd : turn.sliceEnd;
      slot.sliceLength = 0;
    }
  }

  /** A background turn, unless the deadline comes first (then the turn is handed back). */
  #backgroundTurn(slot: Slot): Promise<Turn> {
    const turn = this.#scheduler.background(this.#state);
    return this.#deadlines.beforeDeadline(slot.deadline, turn, (late) => void late.then((t) => t.end()));
  }

  /** The catalog error for a failed invocation. */
  #classify(slot: Slot, err: unknown): WactorError {
    if (isWactorError(err)) return err;
    if (err instanceof DeadlineTrap) return new WactorError("WACTOR_ERR_DEADLINE", `${this.#options.deadlineMs} ms`);
    const message = err instanceof GuestTrap ? err.message : String(err);
    // A failed memory.grow shows up as a plain trap (the allocator gives up); a trap with
    // memory this close to the ceiling is that, so report it as such.
    const guestBytes = slot.guest.memoryBytes - slot.guest.suspendRegionBytes;
    if (guestBytes >= this.#options.maxMemoryBytes * 0.9) return new WactorError("WACTOR_ERR_MEMORY_LIMIT", message);
    return new WactorError("WACTOR_ERR_TRAP", message);
  }

  #pump(): void {
    while (this.#queue.length > 0 && !this.#stopped) {
      const slot = this.#slots.take();
      if (!slot) break;
      const next = this.#queue.shift()!;
      if (slot instanceof Error) next.reject(slot);
      else if (this.#handsOver(next.trace)) this.#runHanded(slot, next.operation, next.payload, next.decode, next.resolve, next.reject);
      else {
        // Started by another invocation's end: a traced one's own context is put back first.
        const run = (): Promise<Reply> => this.#run(slot, next.operation, next.payload, next.trace, next.decode);
        next.trace?.started();
        (next.trace ? next.trace.within(run) : run()).then(next.resolve, next.reject);
      }
    }
    if (this.#inFlight === 0 && this.#queue.length === 0) this.#drained?.();
  }
}

/** A reply given at once as a settled promise, for the callers that take promises only. */
function promised(reply: Reply | Promise<Reply>): Promise<Reply> {
  return reply instanceof Promise ? reply : Promise.resolve(reply);
}

/**
 * Runs a step inside its turn. A step known at once (asyncify) ends the turn here; one that
 * comes as a promise (JSPI: the engine runs the guest in a promise reaction) is returned as it
 * is, and the caller ends the turn once it is known.
 */
function withinTurn(turn: Turn, run: () => Step | Promise<Step>): Step | Promise<Step> {
  let step: Step | Promise<Step>;
  try {
    step = run();
  } catch (err) {
    turn.end();
    throw err;
  }
  if (!(step instanceof Promise)) turn.end();
  return step;
}
