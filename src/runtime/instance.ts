/**
 * Host-side handle of one actor instance: a worker thread running one guest, one
 * invocation at a time. Enforces the deadline (terminate + respawn) and serves the
 * guest's host calls through an async handler.
 */
import { MessageChannel, type MessagePort, type Worker } from "node:worker_threads";
import { WactorError } from "../errors.js";
import { createResultRing, ResultRingReader, type Outcome } from "./result-ring.js";
import { sharedSpares } from "./worker-spares.js";
import type { FromWorker, HostCallReply, HostCallRequest, Invocation, ToWorker, WorkerInit } from "./worker-protocol.js";

/** Results larger than what is free in the ring travel as messages instead. */
const RESULT_RING_BYTES = 1024 * 1024;

export type AsyncHostCall = (request: HostCallRequest) => Promise<Uint8Array>;

export interface InstanceOptions {
  module: WebAssembly.Module;
  deadlineMs: number;
  maxMemoryBytes: number;
  hostCall: AsyncHostCall;
  onLog?: (line: string) => void;
  /** Called after the instance was replaced (trap or deadline), for metrics and events. */
  onReplaced?: (reason: "deadline" | "trap" | "crash") => void;
}

interface Pending {
  id: number;
  operation: string;
  payload: Uint8Array;
  resolve: (payload: Uint8Array) => void;
  reject: (err: WactorError) => void;
}

/**
 * Invocations are pipelined: several may be posted to the worker, which runs them one at a
 * time in order (actor model). Only the head of the FIFO is running, so only it has a
 * deadline timer; when it is killed, the ones behind it never ran and are re-sent.
 */
export class ActorInstance {
  readonly #options: InstanceOptions;
  #worker: Worker | undefined;
  readonly #outstanding: Pending[] = [];
  readonly #outbox: Invocation[] = [];
  #results: ResultRingReader | undefined;
  #headTimer: NodeJS.Timeout | undefined;
  #nextId = 1;
  /** True once the current worker said "ready"; until then invocations only queue here. */
  #workerReady = false;
  #stopped = false;
  #memoryBytes = 0;

  constructor(options: InstanceOptions) {
    this.#options = options;
  }

  /** Invocations posted and not yet answered (the first one is running). */
  get load(): number {
    return this.#outstanding.length;
  }

  get memoryBytes(): number {
    return this.#memoryBytes;
  }

  start(): Promise<void> {
    return this.#spawn();
  }

  invoke(operation: string, payload: Uint8Array): Promise<Uint8Array> {
    if (this.#stopped) return Promise.reject(new WactorError("WACTOR_ERR_ACTOR_STOPPED"));
    return new Promise<Uint8Array>((resolve, reject) => {
      const pending: Pending = { id: this.#nextId++, operation, payload, resolve, reject };
      this.#outstanding.push(pending);
      // While a (replacement) worker starts, invocations wait here and are posted on "ready".
      if (this.#worker && this.#workerReady) {
        this.#post(this.#worker, pending);
        if (this.#outstanding.length === 1) this.#armHead();
      }
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#results?.close();
    clearTimeout(this.#headTimer);
    for (const pending of this.#outstanding.splice(0)) pending.reject(new WactorError("WACTOR_ERR_ACTOR_STOPPED"));
    const worker = this.#worker;
    this.#worker = undefined;
    if (worker) await worker.terminate();
  }

  /** Queues an invocation for the worker; everything queued in one tick goes as one message. */
  #post(worker: Worker, pending: Pending): void {
    this.#outbox.push({ id: pending.id, operation: pending.operation, payload: pending.payload });
    if (this.#outbox.length === 1) queueMicrotask(() => this.#flush(worker));
  }

  #flush(worker: Worker): void {
    const batch = this.#outbox.splice(0);
    // A replaced worker's batch is dropped: its invocations are re-sent to the new one.
    if (batch.length === 0 || worker !== this.#worker) return;
    const message: ToWorker = { type: "invoke", batch };
    worker.postMessage(message);
  }

  #armHead(): void {
    clearTimeout(this.#headTimer);
    const head = this.#outstanding[0];
    if (!head) return;
    this.#headTimer = setTimeout(() => this.#onDeadline(head.id), this.#options.deadlineMs);
  }

  #spawn(): Promise<void> {
    const { port1, port2 } = new MessageChannel();
    const signal = new SharedArrayBuffer(4);
    const results = createResultRing(RESULT_RING_BYTES);
    const init: WorkerInit = { module: this.#options.module, hostPort: port2, signal, maxMemoryBytes: this.#options.maxMemoryBytes, results };
    this.#results?.close();
    const reader = new ResultRingReader(results);
    this.#results = reader;
    void this.#drainResults(reader);
    const worker = sharedSpares.take();
    const load: ToWorker = { type: "load", init };
    worker.postMessage(load, [port2]);
    this.#worker = worker;
    this.#workerReady = false;
    port1.on("message", (request: HostCallRequest) => void this.#serveHostCall(port1, signal, request));
    port1.unref();
    return new Promise<void>((resolve, reject) => {
      let started = false;
      worker.on("message", (message: FromWorker) => {
        switch (message.type) {
          case "ready":
            started = true;
            this.#memoryBytes = message.memoryBytes;
            if (this.#worker === worker) {
              this.#workerReady = true;
              for (const pending of this.#outstanding) this.#post(worker, pending);
              this.#armHead();
            }
            resolve();
            break;
          case "start-failed":
            reject(new WactorError("WACTOR_ERR_MODULE_COMPILE", message.error));
            break;
          case "log":
            this.#options.onLog?.(message.line);
            break;
          case "result":
            this.#onOutcome(message.outcome);
            break;
        }
      });
      worker.on("error", (err) => {
        if (!started) reject(new WactorError("WACTOR_ERR_MODULE_COMPILE", err.message));
      });
      worker.on("exit", () => {
        port1.close();
        // Results the worker wrote before it exited are still in the ring: collect them.
        reader.drain((outcome) => this.#onOutcome(outcome));
        if (this.#worker !== worker) return; // replaced or stopped on purpose
        this.#worker = undefined;
        if (!started) return;
        // The thread died under us (e.g. JS heap limit): fail the running call, respawn.
        this.#outstanding.shift()?.reject(new WactorError("WACTOR_ERR_TRAP", "the instance's worker exited"));
        this.#replace("crash");
      });
    });
  }

  async #serveHostCall(port: MessagePort, signal: SharedArrayBuffer, request: HostCallRequest): Promise<void> {
    let reply: HostCallReply;
    try {
      reply = { ok: true, payload: await this.#options.hostCall(request) };
    } catch (err) {
      // The guest sees only this string: lead with the stable code so actors can branch on it.
      reply = { ok: false, error: err instanceof WactorError ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err) };
    }
    port.postMessage(reply);
    const flag = new Int32Array(signal);
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
  }

  async #drainResults(reader: ResultRingReader): Promise<void> {
    while (!reader.closed) {
      const wake = reader.wait();
      if (wake) await wake;
      if (reader.closed) return;
      reader.drain((outcome) => this.#onOutcome(outcome));
    }
  }

  #onOutcome(outcome: Outcome): void {
    this.#memoryBytes = outcome.memoryBytes;
    // Results arrive in order except when a large one travelled as a message: find it by id.
    const index = this.#outstanding.findIndex((p) => p.id === outcome.id);
    if (index < 0) return;
    const [pending] = this.#outstanding.splice(index, 1);
    if (index === 0) this.#armHead();
    if (outcome.kind === "ok") {
      pending!.resolve(outcome.payload);
      return;
    }
    const text = new TextDecoder().decode(outcome.payload);
    if (outcome.kind === "guest-error") {
      pending!.reject(new WactorError("WACTOR_ERR_GUEST_ERROR", text));
      return;
    }
    // The worker has already re-instantiated its guest and goes on with the queue.
    this.#options.onReplaced?.("trap");
    pending!.reject(new WactorError(outcome.kind === "memory-limit" ? "WACTOR_ERR_MEMORY_LIMIT" : "WACTOR_ERR_TRAP", text));
  }

  #onDeadline(id: number): void {
    if (this.#outstanding[0]?.id !== id) return;
    this.#outstanding.shift()!.reject(new WactorError("WACTOR_ERR_DEADLINE", `${this.#options.deadlineMs} ms`));
    this.#replace("deadline");
  }

  /** Drops the current worker and starts a fresh one; queued invocations are re-sent to it. */
  #replace(reason: "deadline" | "crash"): void {
    clearTimeout(this.#headTimer);
    this.#outbox.length = 0;
    const old = this.#worker;
    this.#worker = undefined;
    if (old) void old.terminate();
    if (this.#stopped) return;
    this.#options.onReplaced?.(reason);
    this.#spawn().catch((err: unknown) => {
      this.#stopped = true;
      const error = err instanceof WactorError ? err : new WactorError("WACTOR_ERR_ACTOR_STOPPED", String(err));
      for (const pending of this.#outstanding.splice(0)) pending.reject(error);
    });
  }
}
