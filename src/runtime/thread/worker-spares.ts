/**
 * Booted, idle instance workers kept ready, so starting (or replacing) an actor instance
 * costs a message and an instantiate instead of a thread boot (tens of milliseconds).
 */
import type { Worker } from "node:worker_threads";
import { startWorker } from "../worker-source.js";

function bootWorker(): Worker {
  // Bounds the worker's JS heap; the guest's linear memory is capped in the module itself.
  return startWorker("./instance-worker", import.meta.url, { resourceLimits: { maxOldGenerationSizeMb: 48, maxYoungGenerationSizeMb: 8 } });
}

export class WorkerSpares {
  readonly #target: number;
  readonly #spares: Worker[] = [];

  constructor(target: number) {
    this.#target = target;
  }

  /** A booted (or booting) worker, yours to load and terminate; the stock refills itself. */
  take(): Worker {
    const worker = this.#spares.shift() ?? bootWorker();
    worker.removeAllListeners("error");
    worker.ref();
    setImmediate(() => this.#refill());
    return worker;
  }

  /** Boots the stock now (a host does this at creation, so its first actor starts fast). */
  warm(): void {
    this.#refill();
  }

  #refill(): void {
    while (this.#spares.length < this.#target) {
      const worker = bootWorker();
      worker.unref(); // idle spares never keep the process alive
      worker.on("error", () => this.#drop(worker));
      worker.once("exit", () => this.#drop(worker));
      this.#spares.push(worker);
    }
  }

  #drop(worker: Worker): void {
    const at = this.#spares.indexOf(worker);
    if (at >= 0) this.#spares.splice(at, 1);
  }

  /** Terminates the idle spares (tests, shutdown). */
  async close(): Promise<void> {
    await Promise.all(this.#spares.splice(0).map((w) => w.terminate()));
  }
}

/** One stock per process: spares are not tied to any actor. */
export const sharedSpares = new WorkerSpares(2);
