/**
 * The instances of one metered pool: idle ones kept for the next invocation, new ones made on
 * demand up to the pool's limit, dropped ones disposed of, and the memory they hold counted.
 * The pool decides what runs on them (metered-pool.ts); this only keeps them.
 */
import { WactorError, isWactorError } from "../../errors.js";
import type { Slot } from "./metered-slot.js";

export class SlotSupply {
  readonly #idle: Slot[] = [];
  readonly #limit: number;
  readonly #make: () => Slot;
  /** A spare made ahead is ready: the pool may start a queued invocation on it. */
  readonly #spareReady: () => void;
  #live = 0;
  #memoryBytes = 0;
  #spareScheduled = false;
  #making = true;

  constructor(limit: number, make: () => Slot, spareReady: () => void) {
    this.#limit = limit;
    this.#make = make;
    this.#spareReady = spareReady;
  }

  /** Instances that exist now, busy or idle. */
  get live(): number {
    return this.#live;
  }

  get memoryBytes(): number {
    return this.#memoryBytes;
  }

  /** Makes one instance now and keeps it idle (a failing initialization throws). */
  addFirst(): void {
    this.#idle.push(this.#create());
  }

  /** An idle instance, a new one if there is room, undefined when all are busy. */
  take(): Slot | WactorError | undefined {
    const idle = this.#idle.pop();
    if (idle) {
      if (this.#idle.length === 0) this.#scheduleSpare();
      return idle;
    }
    if (this.#live >= this.#limit) return undefined;
    try {
      const made = this.#create();
      this.#scheduleSpare();
      return made;
    } catch (err) {
      return isWactorError(err) ? err : new WactorError("WACTOR_ERR_TRAP", String(err));
    }
  }

  /** An instance back from an invocation that ended well: idle again, its memory counted anew. */
  giveBack(slot: Slot): void {
    const now = slot.guest.memoryBytes;
    this.#memoryBytes += now - slot.counted;
    slot.counted = now;
    this.#idle.push(slot);
  }

  /** An instance that may hold any state (a trap, a deadline, a given-up direct call, a stop). */
  drop(slot: Slot): void {
    slot.guest.dispose?.();
    this.#live--;
    this.#memoryBytes -= slot.counted;
  }

  /** No more instances made ahead (the pool drains). */
  stopMaking(): void {
    this.#making = false;
  }

  /** Drops the idle instances and makes no more ahead (the pool stops). */
  close(): void {
    this.#making = false;
    for (const slot of this.#idle.splice(0)) this.drop(slot);
  }

  /**
   * Once the last idle instance is taken, one more is made right after the current turn of
   * the event loop, so the invocation that scales the actor up finds it ready instead of
   * paying for an instantiate and the guest's initialization (50-100 µs; wasmtime's pooling
   * allocator and Lucet pre-make instances for the same reason). At most one is made ahead.
   */
  #scheduleSpare(): void {
    if (this.#spareScheduled || !this.#making || this.#live >= this.#limit) return;
    this.#spareScheduled = true;
    setImmediate(() => {
      this.#spareScheduled = false;
      if (!this.#making || this.#idle.length > 0 || this.#live >= this.#limit) return;
      try {
        this.#idle.push(this.#create());
      } catch {
        return; // the next invocation that needs an instance makes it, and reports the failure
      }
      this.#spareReady();
    });
  }

  #create(): Slot {
    const slot = this.#make();
    this.#live++;
    this.#memoryBytes += slot.counted;
    return slot;
  }
}
