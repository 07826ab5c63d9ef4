/**
 * Byte-level reading and writing of the WebAssembly binary format for the single-pass
 * rewrite (jspi-rewrite.ts): LEB128 numbers, value types, block types and memory arguments,
 * read only as far as needed to skip them. Every read is bounds-checked: a malformed module
 * throws, it never makes the reader loop or read past its end.
 */

export class Reader {
  pos: number;
  constructor(
    readonly bytes: Uint8Array,
    pos = 0,
    readonly end = bytes.length,
  ) {
    this.pos = pos;
  }

  fail(what: string): never {
    throw new Error(`${what} at byte ${this.pos}`);
  }

  u8(): number {
    if (this.pos >= this.end) this.fail("unexpected end");
    return this.bytes[this.pos++]!;
  }

  /** An unsigned LEB128 of at most 32 bits. */
  u32(): number {
    const bytes = this.bytes;
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (this.pos >= this.end) this.fail("LEB128 runs past the end");
      const byte = bytes[this.pos++]!;
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) {
        if (result > 0xffffffff) this.fail("LEB128 out of range");
        return result;
      }
    }
    return this.fail("LEB128 too long");
  }

  /** Any LEB128 (signed or unsigned, up to 64 bits), skipped. */
  skipLeb(): void {
    const bytes = this.bytes;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail("LEB128 runs past the end");
      if ((bytes[this.pos++]! & 0x80) === 0) return;
    }
    this.fail("LEB128 too long");
  }

  skip(n: number): void {
    if (this.pos + n > this.end) this.fail("unexpected end");
    this.pos += n;
  }

  name(): string {
    const length = this.u32();
    const start = this.pos;
    this.skip(length);
    return utf8.decode(this.bytes.subarray(start, start + length));
  }

  /** A value type: one byte, or `(ref null? ht)` followed by its heap type. */
  skipValType(): void {
    const b = this.u8();
    if (b === 0x63 || b === 0x64) this.skipLeb();
  }

  /** A block type: empty (0x40), a value type, or a type index (s33). */
  skipBlockType(): void {
    const b = this.bytes[this.pos];
    if (b === undefined || this.pos >= this.end) this.fail("unexpected end");
    if (b === 0x40) this.pos++;
    else if (b === 0x63 || b === 0x64) this.skipValType();
    else if ((b & 0xc0) === 0x40)
      this.pos++; // a one-byte negative s33: a value type
    else this.skipLeb();
  }

  /** A memory argument: alignment (bit 6: a memory index follows) and offset. */
  skipMemArg(): void {
    const align = this.u32();
    if (align & 0x40) this.skipLeb();
    this.skipLeb();
  }

  /** Limits of a table or memory (flags, minimum, maximum when flagged). */
  skipLimits(): void {
    const flags = this.u8();
    this.skipLeb();
    if (flags & 1) this.skipLeb();
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
const utf8Encode = new TextEncoder();

/** A growable byte buffer. */
export class Writer {
  #buf: Uint8Array;
  length = 0;

  constructor(capacity = 1024) {
    this.#buf = new Uint8Array(capacity);
  }

  #reserve(n: number): void {
    if (this.length + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.length + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.#buf.subarray(0, this.length));
    this.#buf = grown;
  }

  u8(byte: number): this {
    this.#reserve(1);
    this.#buf[this.length++] = byte;
    return this;
  }

  u32(value: number): this {
    this.#reserve(5);
    let v = value >>> 0;
    do {
      let byte = v & 0x7f;
      v >>>= 7;
      if (v !== 0) byte |= 0x80;
      this.#buf[this.length++] = byte;
    } while (v !== 0);
    return this;
  }

  /** A signed LEB128 of a 32-bit integer. */
  s32(value: number): this {
    let v = value | 0;
    for (;;) {
      const byte = v & 0x7f;
      v >>= 7;
      const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
      this.u8(done ? byte : byte | 0x80);
      if (done) return this;
    }
  }

  bytes(data: Uint8Array | readonly number[]): this {
    this.#reserve(data.length);
    this.#buf.set(data, this.length);
    this.length += data.length;
    return this;
  }

  /** `source[start, end)`; short runs byte by byte (a subarray costs more than a few bytes). */
  copy(source: Uint8Array, start: number, end: number): this {
    const n = end - start;
    this.#reserve(n);
    const buf = this.#buf;
    if (n < 32) for (let i = start, at = this.length; i < end; i++, at++) buf[at] = source[i]!;
    else buf.set(source.subarray(start, end), this.length);
    this.length += n;
    return this;
  }

  name(text: string): this {
    const encoded = utf8Encode.encode(text);
    return this.u32(encoded.length).bytes(encoded);
  }

  /** A length-prefixed copy of another writer's bytes (a section or a function body). */
  sized(inner: Writer): this {
    return this.u32(inner.length).bytes(inner.view());
  }

  view(): Uint8Array {
    return this.#buf.subarray(0, this.length);
  }
}
