/**
 * Placement by what an actor does (isolation "auto", the default): it starts metered on the
 * host thread, and one whose invocations make no host calls and each run long enough to pay
 * for a thread crossing moves to an executor thread, where its guests use another core. Host
 * calls keep an actor on the host thread, where they are cheapest (docs/runtime.md: 0.71-0.82
 * of the limit there, 0.12 on an executor). The move is a live update: new invocations go to
 * the executor once it has started the actor, those in flight finish where they are. An actor
 * is watched for its first WINDOWS_WATCHED windows of invocations only, then never again.
 */
import { availableParallelism } from "node:os";
import type { ActorPool } from "./actor-pool.js";
import { ExecutorPool, type ExecutorPoolOptions } from "./executor-pool.js";
import type { InvocationTrace } from "./invocation-trace.js";
import { MeteredPool, type MeteredPoolOptions } from "./metered-pool.js";

/** Invocations per look at the figures. */
const WINDOW = 256;
/** Windows an actor is watched before its placement is final. */
const WINDOWS_WATCHED = 8;
/**
 * Guest time per invocation (ms) from which another core pays: a crossing costs the host thread
 * ~3-5 µs of postMessage work against the guest time it no longer spends (HTTP echo: ~20 µs).
 */
const MOVE_FROM_MS = 0.01;
/** How long invocations left on the host thread get to finish after a move. */
const DRAIN_MS = 30_000;

export type Placement = "metered" | "executor";

export interface AutoPlacementOptions extends MeteredPoolOptions {
  /** Told when the actor moves, and why. */
  onMoved?: (placement: Placement, why: string) => void;
  /** Defaults to this machine's: with one core there is nowhere to move. */
  cores?: number;
}

export class AutoPlacementPool implements ActorPool {
  readonly #options: AutoPlacementOptions;
  #current: ActorPool;
  #previous: ActorPool | undefined;
  #placement: Placement = "metered";
  #watching: boolean;
  #windows = 0;
  #seen = 0;
  #hostCalls = 0;
  #spentMs = 0;
  #closed = false;

  constructor(options: AutoPlacementOptions) {
    this.#options = options;
    this.#watching = (options.cores ?? availableParallelism()) > 1;
    const counted: MeteredPoolOptions = {
      ...options,
      hostCall: (request, trace) => {
        this.#hostCalls++;
        return options.hostCall(request, trace);
      },
    };
    this.#current = new MeteredPool(counted);
  }

  get placement(): Placement {
    return this.#placement;
  }

  get size(): number {
    return this.#current.size + (this.#previous?.size ?? 0);
  }

  get inFlight(): number {
    return this.#current.inFlight + (this.#previous?.inFlight ?? 0);
  }

  get queued(): number {
    return this.#current.queued + (this.#previous?.queued ?? 0);
  }

  get memoryBytes(): number {
    return this.#current.memoryBytes + (this.#previous?.memoryBytes ?? 0);
  }

  start(): Promise<void> {
    return this.#current.start();
  }

  invoke(operation: string, payload: Uint8Array, trace?: InvocationTrace): Promise<Uint8Array> {
    if (!this.#watching) return this.#current.invoke(operation, payload, trace);
    // A metered guest runs its first step inside invoke(): this is its time on the thread.
    const started = performance.now();
    const reply = this.#current.invoke(operation, payload, trace);
    this.#spentMs += performance.now() - started;
    if (++this.#seen === WINDOW) this.#decide();
    return reply;
  }

  async drain(timeoutMs: number): Promise<void> {
    this.#closed = true;
    this.#watching = false;
    await Promise.all([this.#current.drain(timeoutMs), this.#previous?.drain(timeoutMs)]);
  }

  async stop(): Promise<void> {
    this.#closed = true;
    this.#watching = false;
    await Promise.all([this.#current.stop(), this.#previous?.stop()]);
  }

  #decide(): void {
    const perInvocationMs = this.#spentMs / this.#seen;
    const hostCalls = this.#hostCalls;
    this.#seen = 0;
    this.#spentMs = 0;
    this.#hostCalls = 0;
    if (hostCalls === 0 && perInvocationMs >= MOVE_FROM_MS) {
      this.#watching = false;
      void this.#move(`${WINDOW} invocations in a row made no host call and ran ${(perInvocationMs * 1000).toFixed(0)} µs each on the host thread`);
    } else if (++this.#windows >= WINDOWS_WATCHED) this.#watching = false;
  }

  async #move(why: string): Promise<void> {
    const { onMoved: _moved, cores: _cores, scheduler: _scheduler, breaker: _breaker, ...rest } = this.#options;
    const next = new ExecutorPool(rest as ExecutorPoolOptions);
    try {
      await next.start();
    } catch {
      return; // it stays where it is, and serves
    }
    if (this.#closed) return void (await next.stop());
    this.#previous = this.#current;
    this.#current = next;
    this.#placement = "executor";
    this.#options.onMoved?.("executor", why);
    await this.#previous.drain(DRAIN_MS);
    this.#previous = undefined;
  }
}
