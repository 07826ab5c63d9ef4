/**
 * A single-producer single-consumer ring of records in a SharedArrayBuffer, one per
 * direction between the host thread and an instance worker. Messages cost ~5 µs each on
 * the host thread and one wake-up each; a ring carries many records per wake-up, and a
 * record written survives the worker being terminated, so a finished result is never lost.
 *
 * Layout: Int32 header [write, read, closed, sleeping], then records aligned to 4 bytes:
 * u32 kind (0 = "wrap to start"), u32 id, u32 length, u32 extra, payload bytes.
 * Positions run modulo 2 * capacity, so full and empty differ without a counter.
 */

export interface RingRecord {
  kind: number;
  id: number;
  /** A small number the record kind gives meaning to (e.g. memory pages). */
  extra: number;
  payload: Uint8Array;
}

const WRITE = 0;
const READ = 1;
const CLOSED = 2;
/** Set by a reader about to block in Atomics.wait: only then does a writer pay for notify. */
const SLEEPING = 3;
const HEADER_BYTES = 16;
const RECORD_HEADER = 16;
const WRAP = 0;

const align4 = (n: number): number => (n + 3) & ~3;

export function createRing(capacityBytes: number): SharedArrayBuffer {
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

  get closed(): boolean {
    return Atomics.load(this.header, CLOSED) === 1;
  }

  /** Wakes whoever waits on this ring, for good: both sides see `closed`. */
  close(): void {
    Atomics.store(this.header, SLEEPING, 1);
    Atomics.store(this.header, CLOSED, 1);
    Atomics.notify(this.header, WRITE);
  }
}

export class RingWriter extends RingView {
  /** Appends a record and wakes the reader; false when it does not fit right now. */
  write(kind: number, id: number, extra: number, payload: Uint8Array): boolean {
    const size = align4(RECORD_HEADER + payload.length);
    let write = Atomics.load(this.header, WRITE);
    const read = Atomics.load(this.header, READ);
    let at = write % this.capacity;
    const skip = at + size > this.capacity ? this.capacity - at : 0;
    if (this.used(write, read) + skip + size > this.capacity) return false;
    if (skip > 0) {
      this.view.setUint32(at, WRAP, true);
      write = this.advance(write, skip);
      at = 0;
    }
    this.view.setUint32(at, kind, true);
    this.view.setUint32(at + 4, id, true);
    this.view.setUint32(at + 8, payload.length, true);
    this.view.setUint32(at + 12, extra, true);
    this.bytes.set(payload, at + RECORD_HEADER);
    Atomics.store(this.header, WRITE, this.advance(write, size));
    if (Atomics.load(this.header, SLEEPING) === 1) Atomics.notify(this.header, WRITE);
    return true;
  }
}

export class RingReader extends RingView {
  #read = 0;

  /** The next record, or undefined when the ring is empty. */
  read(): RingRecord | undefined {
    const write = Atomics.load(this.header, WRITE);
    while (this.#read !== write) {
      const at = this.#read % this.capacity;
      const kind = this.view.getUint32(at, true);
      if (kind === WRAP) {
        this.#advance(this.capacity - at);
        continue;
      }
      const length = this.view.getUint32(at + 8, true);
      const record: RingRecord = {
        kind,
        id: this.view.getUint32(at + 4, true),
        extra: this.view.getUint32(at + 12, true),
        payload: this.bytes.slice(at + RECORD_HEADER, at + RECORD_HEADER + length),
      };
      this.#advance(align4(RECORD_HEADER + length));
      return record;
    }
    return undefined;
  }

  #advance(by: number): void {
    this.#read = this.advance(this.#read, by);
    Atomics.store(this.header, READ, this.#read);
  }

  /** Hands every waiting record to `onRecord`. */
  drain(onRecord: (record: RingRecord) => void): void {
    for (let record = this.read(); record; record = this.read()) onRecord(record);
  }

  /** Host thread: resolves when records may be waiting (or on close); undefined if they are. */
  async waitAsync(): Promise<void> {
    // Announce the sleep first, then re-check: a write in between is seen by one or the other.
    Atomics.store(this.header, SLEEPING, 1);
    const result = Atomics.waitAsync(this.header, WRITE, this.#read);
    if (result.async) await result.value;
    Atomics.store(this.header, SLEEPING, 0);
  }

  /** Worker thread: blocks until a record may be waiting (or on close), spinning briefly first. */
  waitSync(spinMs: number): void {
    const until = spinMs > 0 ? performance.now() + spinMs : 0;
    while (Atomics.load(this.header, WRITE) === this.#read && performance.now() < until);
    Atomics.store(this.header, SLEEPING, 1);
    Atomics.wait(this.header, WRITE, this.#read);
    Atomics.store(this.header, SLEEPING, 0);
  }
}
