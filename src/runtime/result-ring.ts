/**
 * Results from an instance worker to the host thread through a SharedArrayBuffer ring.
 * One message per result capped throughput at ~150k/s; a ring drained on each wake-up
 * (Atomics.waitAsync) carries many results per wake. A result written here survives the
 * worker being terminated later, so a finished invocation is never lost or run twice.
 *
 * Layout: Int32 header [write, read, closed, _], then records aligned to 4 bytes:
 * u32 id (0 = "wrap to start"), u32 kind, u32 length, u32 memory pages, payload.
 * Positions run modulo 2 * capacity, so full and empty differ without a counter.
 */

export type OutcomeKind = "ok" | "guest-error" | "trap" | "memory-limit";
const KIND_CODES: Record<OutcomeKind, number> = { ok: 1, "guest-error": 2, trap: 3, "memory-limit": 4 };
const KINDS: OutcomeKind[] = ["ok", "ok", "guest-error", "trap", "memory-limit"];

export interface Outcome {
  id: number;
  kind: OutcomeKind;
  /** Reply bytes for "ok", UTF-8 error text otherwise. */
  payload: Uint8Array;
  memoryBytes: number;
}

const WRITE = 0;
const READ = 1;
const CLOSED = 2;
const HEADER_BYTES = 16;
const RECORD_HEADER = 16;
const PAGE = 65536;

const align4 = (n: number): number => (n + 3) & ~3;

export function createResultRing(capacityBytes: number): SharedArrayBuffer {
  return new SharedArrayBuffer(HEADER_BYTES + align4(capacityBytes));
}

class RingView {
  protected readonly header: Int32Array;
  protected readonly bytes: Uint8Array;
  protected readonly view: DataView;
  protected readonly capacity: number;

  constructor(buffer: SharedArrayBuffer) {
    this.header = new Int32Array(buffer, 0, 4);
    this.capacity = buffer.byteLength - HEADER_BYTES;
    this.bytes = new Uint8Array(buffer, HEADER_BYTES, this.capacity);
    this.view = new DataView(buffer, HEADER_BYTES, this.capacity);
  }

  protected used(write: number, read: number): number {
    return (write - read + 2 * this.capacity) % (2 * this.capacity);
  }

  protected advance(position: number, by: number): number {
    return (position + by) % (2 * this.capacity);
  }
}

export class ResultRingWriter extends RingView {
  /** Appends a result; false when it does not fit now (the caller then posts it instead). */
  write(outcome: Outcome): boolean {
    const size = align4(RECORD_HEADER + outcome.payload.length);
    let write = Atomics.load(this.header, WRITE);
    const read = Atomics.load(this.header, READ);
    let at = write % this.capacity;
    const skip = at + size > this.capacity ? this.capacity - at : 0;
    if (this.used(write, read) + skip + size > this.capacity) return false;
    if (skip > 0) {
      this.view.setUint32(at, 0, true); // wrap marker
      write = this.advance(write, skip);
      at = 0;
    }
    this.view.setUint32(at, outcome.id, true);
    this.view.setUint32(at + 4, KIND_CODES[outcome.kind], true);
    this.view.setUint32(at + 8, outcome.payload.length, true);
    this.view.setUint32(at + 12, Math.ceil(outcome.memoryBytes / PAGE), true);
    this.bytes.set(outcome.payload, at + RECORD_HEADER);
    Atomics.store(this.header, WRITE, this.advance(write, size));
    Atomics.notify(this.header, WRITE);
    return true;
  }
}

export class ResultRingReader extends RingView {
  #read = 0;

  get closed(): boolean {
    return Atomics.load(this.header, CLOSED) === 1;
  }

  /** Resolves when results may be waiting (or the ring was closed); undefined if they are. */
  wait(): Promise<unknown> | undefined {
    const result = Atomics.waitAsync(this.header, WRITE, this.#read);
    return result.async ? result.value : undefined;
  }

  /** Hands every complete record to `onOutcome`, then frees their space for the writer. */
  drain(onOutcome: (outcome: Outcome) => void): void {
    const write = Atomics.load(this.header, WRITE);
    let read = this.#read;
    while (read !== write) {
      const at = read % this.capacity;
      const id = this.view.getUint32(at, true);
      if (id === 0) {
        read = this.advance(read, this.capacity - at);
        continue;
      }
      const length = this.view.getUint32(at + 8, true);
      const outcome: Outcome = {
        id,
        kind: KINDS[this.view.getUint32(at + 4, true)] ?? "trap",
        payload: this.bytes.slice(at + RECORD_HEADER, at + RECORD_HEADER + length),
        memoryBytes: this.view.getUint32(at + 12, true) * PAGE,
      };
      read = this.advance(read, align4(RECORD_HEADER + length));
      this.#read = read;
      Atomics.store(this.header, READ, read);
      onOutcome(outcome);
    }
  }

  /** Stops the drain loop: wakes a pending wait, which then sees `closed`. */
  close(): void {
    Atomics.store(this.header, CLOSED, 1);
    Atomics.notify(this.header, WRITE);
  }
}
