/**
 * N instances of one actor. Each instance serves one invocation at a time (actor model);
 * extra invocations wait in a bounded FIFO queue, beyond which callers get WACTOR_ERR_BUSY.
 */
import { WactorError, isWactorError } from "../../errors.js";
import type { ActorPool } from "../actor-pool-interface.js";
import { untilIdle } from "../bounded-wait.js";
import { CircuitBreaker, type BreakerOptions } from "../circuit-breaker.js";
import { ActorInstance, type InstanceOptions } from "./instance.js";
import type { InvocationTrace } from "../invocation-trace.js";

export interface PoolOptions extends InstanceOptions {
  instances: number;
  /** Invocations allowed to wait, beyond those pipelined into instances. */
  maxQueue: number;
  /** Invocations posted ahead to one instance (it still runs them one at a time). */
  pipelineDepth?: number;
  breaker?: BreakerOptions;
}

interface Waiting {
  operation: string;
  payload: Uint8Array;
  resolve: (payload: Uint8Array) => void;
  reject: (err: unknown) => void;
  trace: InvocationTrace | undefined;
}

export class InstancePool implements ActorPool {
  readonly #instances: ActorInstance[];
  readonly #queue: Waiting[] = [];
  readonly #maxQueue: number;
  readonly #pipelineDepth: number;
  readonly #breaker: CircuitBreaker;
  #inFlight = 0;
  #suspect = false;
  #closed = false;
  #drained: (() => void) | undefined;

  constructor(options: PoolOptions) {
    this.#maxQueue = options.maxQueue;
    this.#pipelineDepth = Math.max(1, options.pipelineDepth ?? 8);
    this.#breaker = new CircuitBreaker(options.breaker);
    this.#instances = Array.from({ length: Math.max(1, options.instances) }, () => new ActorInstance(options));
  }

  async start(): Promise<void> {
    try {
      await Promise.all(this.#instances.map((i) => i.start()));
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  get size(): number {
    return this.#instances.length;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  get queued(): number {
    return this.#queue.length;
  }

  get memoryBytes(): number {
    return this.#instances.reduce((sum, i) => sum + i.memoryBytes, 0);
  }

  invoke(operation: string, payload: Uint8Array, trace?: InvocationTrace): Promise<Uint8Array> {
    if (this.#closed) return Promise.reject(new WactorError("WACTOR_ERR_ACTOR_STOPPED"));
    try {
      this.#breaker.check();
    } catch (err) {
      return Promise.reject(err);
    }
    const instance = this.#leastLoaded();
    if (instance) {
      trace?.started();
      return this.#run(instance, operation, payload, trace);
    }
    if (this.#queue.length >= this.#maxQueue) {
      return Promise.reject(new WactorError("WACTOR_ERR_BUSY", `${this.#instances.length} instances busy, ${this.#queue.length} queued`));
    }
    trace?.queued();
    return new Promise((resolve, reject) => this.#queue.push({ operation, payload, resolve, reject, trace }));
  }

  /** The instance with the fewest outstanding invocations, if it has room. */
  #leastLoaded(): ActorInstance | undefined {
    let best: ActorInstance | undefined;
    for (const instance of this.#instances) if (!best || instance.load < best.load) best = instance;
    return best && best.load < this.#pipelineDepth ? best : undefined;
  }

  async #run(instance: ActorInstance, operation: string, payload: Uint8Array, trace: InvocationTrace | undefined): Promise<Uint8Array> {
    this.#inFlight++;
    try {
      const reply = await instance.invoke(operation, payload, trace);
      this.#breaker.record(undefined);
      this.#setSuspect(false);
      return reply;
    } catch (err) {
      this.#breaker.record(err);
      if (isWactorError(err, "WACTOR_ERR_DEADLINE")) this.#setSuspect(true);
      throw err;
    } finally {
      this.#inFlight--;
      this.#pump();
    }
  }

  /**
   * An actor that ran into its deadline may be looping: until one of its invocations
   * succeeds again, its threads run at low CPU priority (thread-priority.ts), so the cores go
   * to actors doing short work first. Traps and memory failures are quick: the breaker is
   * enough for those.
   */
  #setSuspect(suspect: boolean): void {
    if (suspect === this.#suspect) return;
    this.#suspect = suspect;
    for (const instance of this.#instances) instance.setSuspect(suspect);
  }

  #pump(): void {
    while (this.#queue.length > 0) {
      const instance = this.#leastLoaded();
      if (!instance) return;
      const next = this.#queue.shift()!;
      next.trace?.started();
      this.#run(instance, next.operation, next.payload, next.trace).then(next.resolve, next.reject);
    }
    if (this.#inFlight === 0) this.#drained?.();
  }

  /** Stops taking work, lets in-flight and queued invocations finish (bounded), then stops. */
  async drain(timeoutMs: number): Promise<void> {
    this.#closed = true;
    await untilIdle(this.#inFlight > 0 || this.#queue.length > 0, timeoutMs, (settle) => (this.#drained = settle));
    await this.stop();
  }

  async stop(): Promise<void> {
    this.#closed = true;
    for (const waiting of this.#queue.splice(0)) waiting.reject(new WactorError("WACTOR_ERR_ACTOR_STOPPED"));
    await Promise.all(this.#instances.map((i) => i.stop()));
  }
}
