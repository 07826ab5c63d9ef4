/**
 * N instances of one actor. Each instance serves one invocation at a time (actor model);
 * extra invocations wait in a bounded FIFO queue, beyond which callers get WACTOR_ERR_BUSY.
 */
import { WactorError } from "../errors.js";
import { ActorInstance, type InstanceOptions } from "./instance.js";

export interface PoolOptions extends InstanceOptions {
  instances: number;
  /** Invocations allowed to wait for a free instance. */
  maxQueue: number;
}

interface Waiting {
  operation: string;
  payload: Uint8Array;
  resolve: (payload: Uint8Array) => void;
  reject: (err: unknown) => void;
}

export class InstancePool {
  readonly #instances: ActorInstance[];
  readonly #idle: ActorInstance[] = [];
  readonly #queue: Waiting[] = [];
  readonly #maxQueue: number;
  #inFlight = 0;
  #closed = false;
  #drained: (() => void) | undefined;

  constructor(options: PoolOptions) {
    this.#maxQueue = options.maxQueue;
    this.#instances = Array.from({ length: Math.max(1, options.instances) }, () => new ActorInstance(options));
  }

  async start(): Promise<void> {
    try {
      await Promise.all(this.#instances.map((i) => i.start()));
    } catch (err) {
      await this.stop();
      throw err;
    }
    this.#idle.push(...this.#instances);
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

  invoke(operation: string, payload: Uint8Array): Promise<Uint8Array> {
    if (this.#closed) return Promise.reject(new WactorError("WACTOR_ERR_ACTOR_STOPPED"));
    const instance = this.#idle.pop();
    if (instance) return this.#run(instance, operation, payload);
    if (this.#queue.length >= this.#maxQueue) {
      return Promise.reject(new WactorError("WACTOR_ERR_BUSY", `${this.#instances.length} instances busy, ${this.#queue.length} queued`));
    }
    return new Promise((resolve, reject) => this.#queue.push({ operation, payload, resolve, reject }));
  }

  async #run(instance: ActorInstance, operation: string, payload: Uint8Array): Promise<Uint8Array> {
    this.#inFlight++;
    try {
      return await instance.invoke(operation, payload);
    } finally {
      this.#inFlight--;
      this.#release(instance);
    }
  }

  #release(instance: ActorInstance): void {
    const next = this.#queue.shift();
    if (next) {
      this.#run(instance, next.operation, next.payload).then(next.resolve, next.reject);
      return;
    }
    this.#idle.push(instance);
    if (this.#inFlight === 0) this.#drained?.();
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
    for (const waiting of this.#queue.splice(0)) waiting.reject(new WactorError("WACTOR_ERR_ACTOR_STOPPED"));
    await Promise.all(this.#instances.map((i) => i.stop()));
  }
}
