/**
 * Host-side handle of one actor instance: a worker thread running one guest, one
 * invocation at a time. Enforces the deadline (terminate + respawn) and serves the
 * guest's host calls through an async handler.
 */
import { MessageChannel, Worker, type MessagePort } from "node:worker_threads";
import { WactorError } from "../errors.js";
import type { FromWorker, HostCallReply, HostCallRequest, ToWorker, WorkerInit } from "./worker-protocol.js";

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

// Under tsx/vitest this file is TypeScript, and so is the worker: load it with tsx.
const IS_TS = import.meta.url.endsWith(".ts");
const WORKER_URL = new URL(IS_TS ? "./instance-worker.ts" : "./instance-worker.js", import.meta.url);
const WORKER_EXEC_ARGV = IS_TS ? ["--import", "tsx"] : [];

interface Pending {
  id: number;
  resolve: (payload: Uint8Array) => void;
  reject: (err: WactorError) => void;
  timer: NodeJS.Timeout;
}

export class ActorInstance {
  readonly #options: InstanceOptions;
  #worker: Worker | undefined;
  #pending: Pending | undefined;
  #nextId = 1;
  #stopped = false;
  #memoryBytes = 0;
  /** Resolves when a (re)spawned worker is ready. */
  #ready: Promise<void> = Promise.resolve();

  constructor(options: InstanceOptions) {
    this.#options = options;
  }

  get busy(): boolean {
    return this.#pending !== undefined;
  }

  get memoryBytes(): number {
    return this.#memoryBytes;
  }

  start(): Promise<void> {
    this.#ready = this.#spawn();
    return this.#ready;
  }

  async invoke(operation: string, payload: Uint8Array): Promise<Uint8Array> {
    if (this.#pending) throw new Error("ActorInstance.invoke while busy: the pool must serialize");
    await this.#ready;
    if (this.#stopped || !this.#worker) throw new WactorError("WACTOR_ERR_ACTOR_STOPPED");
    const worker = this.#worker;
    return new Promise<Uint8Array>((resolve, reject) => {
      const id = this.#nextId++;
      const timer = setTimeout(() => this.#onDeadline(id), this.#options.deadlineMs);
      this.#pending = { id, resolve, reject, timer };
      const message: ToWorker = { type: "invoke", id, operation, payload };
      worker.postMessage(message);
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#settle(new WactorError("WACTOR_ERR_ACTOR_STOPPED"));
    const worker = this.#worker;
    this.#worker = undefined;
    if (worker) await worker.terminate();
  }

  #spawn(): Promise<void> {
    const { port1, port2 } = new MessageChannel();
    const signal = new SharedArrayBuffer(4);
    const init: WorkerInit = { module: this.#options.module, hostPort: port2, signal, maxMemoryBytes: this.#options.maxMemoryBytes };
    const worker = new Worker(WORKER_URL, {
      workerData: init,
      transferList: [port2],
      execArgv: WORKER_EXEC_ARGV,
      // Bounds the worker's JS heap; the guest's linear memory is capped in the module itself.
      resourceLimits: { maxOldGenerationSizeMb: 48, maxYoungGenerationSizeMb: 8 },
    });
    this.#worker = worker;
    port1.on("message", (request: HostCallRequest) => void this.#serveHostCall(port1, signal, request));
    port1.unref();
    return new Promise<void>((resolve, reject) => {
      let started = false;
      worker.on("message", (message: FromWorker) => {
        switch (message.type) {
          case "ready":
            started = true;
            this.#memoryBytes = message.memoryBytes;
            resolve();
            break;
          case "start-failed":
            reject(new WactorError("WACTOR_ERR_MODULE_COMPILE", message.error));
            break;
          case "log":
            this.#options.onLog?.(message.line);
            break;
          case "result":
            this.#memoryBytes = message.memoryBytes;
            this.#onResult(message);
            break;
        }
      });
      worker.on("error", (err) => {
        if (!started) reject(new WactorError("WACTOR_ERR_MODULE_COMPILE", err.message));
      });
      worker.on("exit", () => {
        port1.close();
        if (this.#worker !== worker) return; // replaced or stopped on purpose
        this.#worker = undefined;
        if (!started) return;
        // The thread died under us (e.g. JS heap limit): fail the call, respawn.
        this.#settle(new WactorError("WACTOR_ERR_TRAP", "the instance's worker exited"));
        this.#replace("crash");
      });
    });
  }

  async #serveHostCall(port: MessagePort, signal: SharedArrayBuffer, request: HostCallRequest): Promise<void> {
    let reply: HostCallReply;
    try {
      reply = { ok: true, payload: await this.#options.hostCall(request) };
    } catch (err) {
      reply = { ok: false, error: err instanceof Error ? err.message : String(err) };
    }
    port.postMessage(reply);
    const flag = new Int32Array(signal);
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
  }

  #onResult(message: Extract<FromWorker, { type: "result" }>): void {
    const pending = this.#pending;
    if (!pending || pending.id !== message.id) return;
    this.#pending = undefined;
    clearTimeout(pending.timer);
    if (message.ok) {
      pending.resolve(message.payload);
      return;
    }
    if (message.trap) {
      this.#options.onReplaced?.("trap");
      pending.reject(new WactorError(message.memoryLimit ? "WACTOR_ERR_MEMORY_LIMIT" : "WACTOR_ERR_TRAP", message.error));
    } else {
      pending.reject(new WactorError("WACTOR_ERR_GUEST_ERROR", message.error));
    }
  }

  #onDeadline(id: number): void {
    if (this.#pending?.id !== id) return;
    this.#settle(new WactorError("WACTOR_ERR_DEADLINE", `${this.#options.deadlineMs} ms`));
    this.#replace("deadline");
  }

  #settle(error: WactorError): void {
    const pending = this.#pending;
    if (!pending) return;
    this.#pending = undefined;
    clearTimeout(pending.timer);
    pending.reject(error);
  }

  /** Drops the current worker and starts a fresh one in its place. */
  #replace(reason: "deadline" | "crash"): void {
    const old = this.#worker;
    this.#worker = undefined;
    if (old) void old.terminate();
    if (this.#stopped) return;
    this.#options.onReplaced?.(reason);
    this.#ready = this.#spawn().catch(() => {
      this.#stopped = true;
    });
  }
}
