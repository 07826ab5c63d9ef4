/**
 * One Reactr runnable (docs/runnables.md) built by transform/instrument.ts: the Reactr adapter
 * over the shared suspendable core (suspendable-guest.ts), driven by the same pools as a waPC
 * actor. Each invocation is one job: `allocate` the input, `run_e`, read the outcome,
 * `deallocate`. Only `run_e` may suspend: the imports that reach a capability wait for their
 * provider there, and its ticks may yield; `_start`, `init`, `allocate` and `deallocate` may
 * be stopped by their deadline but never suspend.
 */
import { TICK_MODULE } from "../transform/metering-abi.js";
import { abortMessage, GuestTrap, type HostCallResult } from "../wapc-guest.js";
import { asGuestTrap, DeadlineTrap, SuspendableGuest, type Restart, type GuestHooks, type GuestInput, type Step } from "../suspendable-guest.js";
import type { CapabilityCall } from "./capability-calls.js";
import { Job } from "./job.js";
import { invocationReply, openInvocation, type Invocation } from "./operations.js";
import { reactrImports, type ReactrHost } from "./reactr-imports.js";
import { ProcExit, WASI_MODULE, wasiImports } from "./wasi-shim.js";

interface RunnableExports {
  allocate(size: number): number;
  deallocate(ptr: number, size: number): void;
  run_e(ptr: number, size: number, ident: number): void;
}

interface Running {
  invocation: Invocation;
  job: Job;
  ptr: number;
  len: number;
}

const utf8 = new TextDecoder();
/** The pools pass each operation's name as the same bytes every time: decoded once. */
const names = new WeakMap<Uint8Array, string>();
function operationName(bytes: Uint8Array): string {
  let name = names.get(bytes);
  if (name === undefined) names.set(bytes, (name = utf8.decode(bytes)));
  return name;
}

export class RunnableGuest extends SuspendableGuest implements ReactrHost {
  #guest!: RunnableExports;
  #running: Running | undefined;
  /** How the suspended capability call's reply becomes its import's value. */
  #pending: ((reply: HostCallResult) => number) | undefined;

  private constructor(module: WebAssembly.Module, hooks: GuestHooks) {
    super(hooks);
    this.instantiate(module, {
      env: {
        ...reactrImports(this),
        // An AssemblyScript runnable built without Reactr's abort hook aborts the waPC way.
        abort: (msgPtr: number, filePtr: number, line: number, column: number) => {
          throw new GuestTrap(abortMessage(this.memory(), msgPtr, filePtr, line, column));
        },
      },
      [WASI_MODULE]: wasiImports(module, { memory: () => this.memory(), log: (line) => hooks.consoleLog?.(line) }),
      [TICK_MODULE]: this.tickImport(),
    });
    this.#guest = this.exports as unknown as RunnableExports;
  }

  /** Instantiates and runs `_start` then `init` (each once, when exported); `proc_exit(0)` ends one normally. */
  static create(module: WebAssembly.Module, hooks: GuestHooks): RunnableGuest {
    const guest = new RunnableGuest(module, hooks);
    guest.initialize(["_start", "init"], (init) => {
      try {
        init();
      } catch (err) {
        if (!(err instanceof ProcExit && err.code === 0)) throw err;
      }
    });
    return guest;
  }

  begin(operation: Uint8Array, payload: GuestInput): Step | Promise<Step> {
    const opened = this.#open(operation, payload);
    return "done" in opened ? opened : this.#step();
  }

  beginDirect(operation: Uint8Array, payload: GuestInput): Step | Restart {
    const opened = this.#open(operation, payload);
    if ("done" in opened) return opened;
    this.suspendable = true;
    const args = this.#args;
    args[0] = opened.ptr;
    args[1] = opened.len;
    args[2] = opened.job.ident;
    const step = this.enterDirect(this.#runE, this.#onReturn, this.#onThrow);
    if ("restart" in step) {
      this.suspendable = false;
      this.#finish();
    }
    return step;
  }

  /** The job's input in the guest's memory, or the answer when no job runs. */
  #open(operation: Uint8Array, payload: GuestInput): Running | Step {
    const opened = openInvocation(operationName(operation), payload);
    if (!("input" in opened)) return { done: true, result: opened };
    const job = new Job(opened.request);
    const len = opened.input.length;
    let ptr: number;
    try {
      ptr = this.#guest.allocate(len);
      this.memory().set(opened.input, ptr);
    } catch (err) {
      job.end();
      throw asGuestTrap(err);
    }
    return (this.#running = { invocation: opened, job, ptr, len });
  }

  resume(reply?: HostCallResult): Step | Promise<Step> {
    return this.continueWith(reply, this.#step);
  }

  /**
   * `run_e`'s arguments and the callbacks of `enter` are made once per instance, not per job
   * (an instance runs one job at a time, and `enter` calls back before the next one begins).
   */
  readonly #args = [0, 0, 0];
  readonly #runE = (): unknown => {
    const args = this.#args;
    return this.#guest.run_e(args[0]!, args[1]!, args[2]!);
  };
  readonly #onReturn = (): Step => this.#ran(this.#running!);
  readonly #onThrow = (err: unknown): Step => this.#trapped(this.#running!, err);

  readonly #step = (): Step | Promise<Step> => {
    const running = this.#running!;
    this.suspendable = true;
    const args = this.#args;
    args[0] = running.ptr;
    args[1] = running.len;
    args[2] = running.job.ident;
    return this.enter(this.#runE, args, this.#onReturn, this.#onThrow);
  };

  #trapped(running: Running, err: unknown): Step {
    this.suspendable = false;
    this.#finish();
    const trap = asGuestTrap(err);
    // An error reported before the trap is the job's answer; the instance is spent either way.
    if (trap instanceof DeadlineTrap || !running.job.error) throw trap;
    return { done: true, result: invocationReply(running.invocation, running.job), discard: true };
  }

  #ran(running: Running): Step {
    this.suspendable = false;
    let discard = false;
    try {
      this.#guest.deallocate(running.ptr, running.len);
    } catch {
      discard = true; // the job is answered; an instance whose allocator trapped serves no more
    }
    this.#finish();
    const result = invocationReply(running.invocation, running.job);
    return discard ? { done: true, result, discard } : { done: true, result };
  }

  /** Dropped while a job was suspended (its deadline, a stop): its ident is free again. */
  dispose(): void {
    this.forget();
    this.#finish();
  }

  #finish(): void {
    this.#running?.job.end();
    this.#running = undefined;
    this.#pending = undefined;
  }

  // ReactrHost: what the env imports reach.

  override memory(): Uint8Array {
    return super.memory();
  }

  job(ident: number): Job | undefined {
    const job = this.#running?.job;
    return job !== undefined && job.ident === ident ? job : undefined;
  }

  capability(ident: number, slot: boolean, build: (job: Job) => CapabilityCall | number): number {
    this.notDirect();
    if (this.rewound()) {
      const settle = this.#pending!;
      this.#pending = undefined;
      return settle(this.resumeWith!);
    }
    const job = this.job(ident);
    if (!job || (slot && job.ffi !== undefined)) return -1;
    const call = build(job);
    if (typeof call === "number") return call;
    const hooks = this.hooks;
    const answer =
      call.http && hooks.httpClient ? hooks.httpClient(call.binding, call.http) : hooks.hostCall(call.binding, call.namespace, call.operation, call.payload);
    if (!(answer instanceof Promise)) return call.settle(answer, job);
    const settle = (reply: HostCallResult): number => call.settle(reply, job);
    if (!this.suspend({ kind: "host-call", reply: answer }, settle)) {
      void answer.catch(() => undefined);
      return call.settle({ ok: false, error: "host calls are only available inside run_e" }, job);
    }
    this.#pending = settle;
    return 0;
  }

  abort(message: string): void {
    this.hooks.consoleLog?.(message);
  }
}
