/**
 * The anti-replay window of one session pair, as in IPsec and WireGuard: sequence numbers
 * are accepted once, in any order within the last `size` numbers; older ones are refused.
 * A bitmap ring, so admitting costs a few integer operations whatever the load.
 */
export class SequenceWindow {
  readonly #bits: Uint32Array;
  readonly #size: number;
  #highest = -1;

  /** `size` is rounded up to a multiple of 32. It must exceed the calls a sender keeps in flight. */
  constructor(size = 8192) {
    this.#bits = new Uint32Array(Math.ceil(size / 32));
    this.#size = this.#bits.length * 32;
  }

  /** True the first time `seq` is seen, if it is not older than the window. */
  admit(seq: number): boolean {
    if (!Number.isSafeInteger(seq) || seq < 0) return false;
    if (seq > this.#highest) {
      // Clear the slots the window slides over (all of them when it jumps by a whole window).
      const cleared = Math.min(seq - this.#highest, this.#size);
      for (let i = 1; i <= cleared; i++) this.#clear(this.#highest + i);
      this.#highest = seq;
      this.#set(seq);
      return true;
    }
    if (this.#highest - seq >= this.#size) return false;
    if (this.#test(seq)) return false;
    this.#set(seq);
    return true;
  }

  #set(seq: number): void {
    const slot = seq % this.#size;
    this.#bits[slot >>> 5]! |= 1 << (slot & 31);
  }

  #clear(seq: number): void {
    const slot = seq % this.#size;
    this.#bits[slot >>> 5]! &= ~(1 << (slot & 31));
  }

  #test(seq: number): boolean {
    const slot = seq % this.#size;
    return (this.#bits[slot >>> 5]! & (1 << (slot & 31))) !== 0;
  }
}
