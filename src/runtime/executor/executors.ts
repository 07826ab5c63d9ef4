/**
 * The executor threads: worker threads that each run the metered pools of many actors
 * (executor-worker.ts), so compute-bound guests use the cores the host thread does not. At
 * most one per core but one (the host thread keeps the providers and the network); an actor
 * goes to the one running the fewest actors and stays there (a Wasm instance cannot move).
 * A thread with no actors left is stopped.
 */
import { availableParallelism } from "node:os";
import type { Worker } from "node:worker_threads";
import { WactorError } from "../../errors.js";
import type { ExecutorPoolSpec, FromExecutor, PoolSizes, ToExecutor, WireError } from "./executor-protocol.js";
import type { InvocationTrace } from "../invocation-trace.js";
import { startWorker } from "../worker-source.js";
import { ownBuffer } from "../owned-bytes.js";

/** What an executor tells the pool it carries. */
export interface ExecutorClient {
  /** `trace`: the traced invocation that made the call. */
  hostCall(message: Extract<FromExecutor, { t: "hostCall" }>, trace: InvocationTrace | undefined): void;
  log(line: string): void;
  denied(capabilityId: string, binding: string, operation: string, count: number): void;
  replaced(reason: "deadline" | "trap" | "crash"): void;
}

interface Pending {
  resolve: (value: { payload: Uint8Array; sizes: PoolSizes }) => void;
  reject: (err: Error) => void;
  trace: InvocationTrace | undefined;
}

const asError = (error: WireError): WactorError => new WactorError(error.code as never, error.detail);

export class Executor {
  readonly #worker: Worker;
  readonly #clients = new Map<number, ExecutorClient>();
  readonly #calls = new Map<number, Pending>();
  readonly #started = new Map<number, { resolve: (sizes: PoolSizes) => void; reject: (err: Error) => void }>();
  readonly #stopped = new Map<number, () => void>();
  readonly #onEmpty: (executor: Executor) => void;
  #nextCall = 0;
  #dead: Error | undefined;

  constructor(onEmpty: (executor: Executor) => void) {
    this.#onEmpty = onEmpty;
    this.#worker = startWorker("./executor-worker", import.meta.url);
    this.#worker.unref();
    this.#worker.on("message", (message: FromExecutor) => this.#receive(message));
    this.#worker.on("error", (err) => this.#die(err));
    this.#worker.on("exit", (code) => this.#die(new Error(`the executor thread exited (${code})`)));
  }

  get actors(): number {
    return this.#clients.size;
  }

  /** Why the thread is gone, if it is. */
  get dead(): Error | undefined {
    return this.#dead;
  }

  start(pool: number, spec: ExecutorPoolSpec, client: ExecutorClient): Promise<PoolSizes> {
    if (this.#dead) return Promise.reject(this.#dead);
    this.#clients.set(pool, client);
    return new Promise((resolve, reject) => {
      this.#started.set(pool, { resolve, reject });
      this.#post({ t: "start", pool, spec });
    }).catch((err: unknown) => {
      this.#forget(pool);
      throw err;
    }) as Promise<PoolSizes>;
  }

  invoke(pool: number, operation: string, payload: Uint8Array, trace?: InvocationTrace): Promise<{ payload: Uint8Array; sizes: PoolSizes }> {
    if (this.#dead) return Promise.reject(this.#dead);
    const call = this.#nextCall++;
    return new Promise((resolve, reject) => {
      this.#calls.set(call, { resolve, reject, trace });
      this.#post({ t: "invoke", pool, call, operation, payload: ownBuffer(payload), traced: trace !== undefined });
    });
  }

  replyToHostCall(hostCall: number, outcome: { ok: true; payload: Uint8Array } | { ok: false; error: string }): void {
    if (!this.#dead) this.#post(outcome.ok ? { t: "reply", hostCall, ok: true, payload: ownBuffer(outcome.payload) } : { t: "reply", hostCall, ...outcome });
  }

  /** Drains (or stops, without `timeoutMs`) the pool, then forgets it. */
  stop(pool: number, timeoutMs?: number): Promise<void> {
    if (this.#dead || !this.#clients.has(pool)) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.#stopped.set(pool, resolve);
      this.#post(timeoutMs === undefined ? { t: "stop", pool } : { t: "drain", pool, timeoutMs });
    }).finally(() => this.#forget(pool));
  }

  /** Ends the thread; its invocations fail and its pools start again elsewhere. */
  async terminate(): Promise<void> {
    await this.#worker.terminate();
  }

  #post(message: ToExecutor): void {
    this.#worker.postMessage(message);
  }

  #receive(message: FromExecutor): void {
    switch (message.t) {
      case "done": {
        const pending = this.#calls.get(message.call);
        if (!pending) return;
        this.#calls.delete(message.call);
        if (message.ok) pending.resolve({ payload: message.payload, sizes: message.sizes });
        else pending.reject(Object.assign(asError(message.error), { sizes: message.sizes }));
        return;
      }
      case "hostCall":
        return this.#clients.get(message.pool)?.hostCall(message, message.call === undefined ? undefined : this.#calls.get(message.call)?.trace);
      case "traceDenied":
        return this.#calls.get(message.call)?.trace?.denied(message.capabilityId, message.binding, message.operation);
      case "started": {
        const waiting = this.#started.get(message.pool);
        this.#started.delete(message.pool);
        if (message.error) waiting?.reject(asError(message.error));
        else waiting?.resolve(message.sizes);
        return;
      }
      case "stopped":
        this.#stopped.get(message.pool)?.();
        this.#stopped.delete(message.pool);
        return;
      case "log":
        return this.#clients.get(message.pool)?.log(message.line);
      case "denied":
        return this.#clients.get(message.pool)?.denied(message.capabilityId, message.binding, message.operation, message.count);
      case "replaced":
        return this.#clients.get(message.pool)?.replaced(message.reason);
    }
  }

  #forget(pool: number): void {
    if (!this.#clients.delete(pool)) return;
    if (this.#clients.size === 0) {
      this.#onEmpty(this);
      void this.#worker.terminate();
    }
  }

  /** Every invocation on the thread fails with the reason; its pools start again elsewhere. */
  #die(err: Error): void {
    if (this.#dead) return;
    this.#dead = new WactorError("WACTOR_ERR_TRAP", `the executor thread stopped: ${err.message}`);
    this.#onEmpty(this);
    for (const pending of this.#calls.values()) pending.reject(this.#dead);
    for (const waiting of this.#started.values()) waiting.reject(this.#dead);
    for (const stopped of this.#stopped.values()) stopped();
    this.#calls.clear();
    this.#started.clear();
    this.#stopped.clear();
    const clients = [...this.#clients.values()];
    this.#clients.clear();
    for (const client of clients) client.replaced("crash");
  }
}

/** The executor threads of this process. */
export class Executors {
  readonly #running = new Set<Executor>();
  readonly #limit: number;

  constructor(limit = Math.max(1, availableParallelism() - 1)) {
    this.#limit = limit;
  }

  /** The executor for a new actor: a new thread while under the limit, else the least loaded. */
  assign(): Executor {
    let best: Executor | undefined;
    for (const executor of this.#running) if (!best || executor.actors < best.actors) best = executor;
    if (best && (best.actors === 0 || this.#running.size >= this.#limit)) return best;
    const executor = new Executor((gone) => this.#running.delete(gone));
    this.#running.add(executor);
    return executor;
  }

  get threads(): number {
    return this.#running.size;
  }

  /** Stops every executor thread at once, as a crash would (tests use it to check recovery). */
  async terminateAll(): Promise<void> {
    await Promise.all([...this.#running].map((executor) => executor.terminate()));
  }
}

export const sharedExecutors = new Executors();
