// Minimal MessagePack for waSCC payloads: maps keyed by camelCase strings, str, bin, ints,
// bools, nil and arrays. Readers skip unknown keys so newer hosts can add fields.

export class Writer {
  private buf: Uint8Array = new Uint8Array(64);
  private len: i32 = 0;

  private ensure(extra: i32): void {
    if (this.len + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  private u8(v: i32): void {
    this.ensure(1);
    this.buf[this.len++] = <u8>v;
  }

  private be(v: u64, bytes: i32): void {
    this.ensure(bytes);
    for (let i = bytes - 1; i >= 0; i--) this.buf[this.len++] = <u8>(v >> (<u64>(i * 8)));
  }

  mapHeader(n: i32): Writer {
    if (n < 16) this.u8(0x80 | n);
    else { this.u8(0xde); this.be(<u64>n, 2); }
    return this;
  }

  arrayHeader(n: i32): Writer {
    if (n < 16) this.u8(0x90 | n);
    else { this.u8(0xdc); this.be(<u64>n, 2); }
    return this;
  }

  string(s: string): Writer {
    const bytes = Uint8Array.wrap(String.UTF8.encode(s));
    const n = bytes.length;
    if (n < 32) this.u8(0xa0 | n);
    else if (n < 256) { this.u8(0xd9); this.u8(n); }
    else if (n < 65536) { this.u8(0xda); this.be(<u64>n, 2); }
    else { this.u8(0xdb); this.be(<u64>n, 4); }
    this.raw(bytes);
    return this;
  }

  bin(bytes: Uint8Array): Writer {
    const n = bytes.length;
    if (n < 256) { this.u8(0xc4); this.u8(n); }
    else if (n < 65536) { this.u8(0xc5); this.be(<u64>n, 2); }
    else { this.u8(0xc6); this.be(<u64>n, 4); }
    this.raw(bytes);
    return this;
  }

  int(v: i64): Writer {
    if (v >= 0 && v < 128) this.u8(<i32>v);
    else if (v < 0 && v >= -32) this.u8(<i32>(v & 0xff));
    else if (v >= 0 && v <= 0xffffffff) { this.u8(0xce); this.be(<u64>v, 4); }
    else { this.u8(0xd3); this.be(<u64>v, 8); }
    return this;
  }

  bool(v: bool): Writer {
    this.u8(v ? 0xc3 : 0xc2);
    return this;
  }

  nil(): Writer {
    this.u8(0xc0);
    return this;
  }

  stringMap(m: Map<string, string>): Writer {
    const keys = m.keys();
    this.mapHeader(keys.length);
    for (let i = 0; i < keys.length; i++) this.string(keys[i]).string(m.get(keys[i]));
    return this;
  }

  private raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
  }

  toBuffer(): ArrayBuffer {
    return this.buf.slice(0, this.len).buffer;
  }
}

export class Reader {
  private pos: i32 = 0;
  ok: bool = true;

  constructor(private data: Uint8Array) {}

  private u8(): i32 {
    if (this.pos >= this.data.length) { this.ok = false; return 0; }
    return this.data[this.pos++];
  }

  private be(bytes: i32): u64 {
    let v: u64 = 0;
    for (let i = 0; i < bytes; i++) v = (v << 8) | <u64>this.u8();
    return v;
  }

  peekNil(): bool {
    return this.pos < this.data.length && this.data[this.pos] == 0xc0;
  }

  mapHeader(): i32 {
    const b = this.u8();
    if ((b & 0xf0) == 0x80) return b & 0x0f;
    if (b == 0xde) return <i32>this.be(2);
    if (b == 0xdf) return <i32>this.be(4);
    this.ok = false;
    return 0;
  }

  arrayHeader(): i32 {
    const b = this.u8();
    if ((b & 0xf0) == 0x90) return b & 0x0f;
    if (b == 0xdc) return <i32>this.be(2);
    if (b == 0xdd) return <i32>this.be(4);
    this.ok = false;
    return 0;
  }

  private bytesOf(n: i32): Uint8Array {
    if (this.pos + n > this.data.length) { this.ok = false; return new Uint8Array(0); }
    const out = this.data.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** A str or bin value as raw bytes (hosts may send either for text). */
  bytes(): Uint8Array {
    const b = this.u8();
    if ((b & 0xe0) == 0xa0) return this.bytesOf(b & 0x1f);
    if (b == 0xd9 || b == 0xc4) return this.bytesOf(<i32>this.be(1));
    if (b == 0xda || b == 0xc5) return this.bytesOf(<i32>this.be(2));
    if (b == 0xdb || b == 0xc6) return this.bytesOf(<i32>this.be(4));
    if (b == 0xc0) return new Uint8Array(0);
    this.ok = false;
    return new Uint8Array(0);
  }

  string(): string {
    return String.UTF8.decode(this.bytes().buffer);
  }

  int(): i64 {
    const b = this.u8();
    if (b < 0x80) return <i64>b;
    if (b >= 0xe0) return <i64>(<i8>b);
    switch (b) {
      case 0xcc: return <i64>this.be(1);
      case 0xcd: return <i64>this.be(2);
      case 0xce: return <i64>this.be(4);
      case 0xcf: return <i64>this.be(8);
      case 0xd0: return <i64>(<i8>this.be(1));
      case 0xd1: return <i64>(<i16>this.be(2));
      case 0xd2: return <i64>(<i32>this.be(4));
      case 0xd3: return <i64>this.be(8);
      case 0xc0: return 0;
    }
    this.ok = false;
    return 0;
  }

  bool(): bool {
    const b = this.u8();
    if (b == 0xc3) return true;
    if (b != 0xc2 && b != 0xc0) this.ok = false;
    return false;
  }

  stringMap(): Map<string, string> {
    const m = new Map<string, string>();
    if (this.peekNil()) { this.u8(); return m; }
    const n = this.mapHeader();
    for (let i = 0; i < n && this.ok; i++) {
      const k = this.string();
      m.set(k, this.string());
    }
    return m;
  }

  stringArray(): string[] {
    const out = new Array<string>();
    if (this.peekNil()) { this.u8(); return out; }
    const n = this.arrayHeader();
    for (let i = 0; i < n && this.ok; i++) out.push(this.string());
    return out;
  }

  /** Skips one value of any type. */
  skip(): void {
    const b = this.u8();
    if (b < 0x80 || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) return;
    if ((b & 0xf0) == 0x80) { const n = b & 0x0f; for (let i = 0; i < n * 2; i++) this.skip(); return; }
    if ((b & 0xf0) == 0x90) { const n = b & 0x0f; for (let i = 0; i < n; i++) this.skip(); return; }
    if ((b & 0xe0) == 0xa0) { this.pos += b & 0x1f; return; }
    switch (b) {
      case 0xcc: case 0xd0: this.pos += 1; return;
      case 0xcd: case 0xd1: this.pos += 2; return;
      case 0xce: case 0xd2: case 0xca: this.pos += 4; return;
      case 0xcf: case 0xd3: case 0xcb: this.pos += 8; return;
      case 0xd9: case 0xc4: { const n = <i32>this.be(1); this.pos += n; return; }
      case 0xda: case 0xc5: { const n = <i32>this.be(2); this.pos += n; return; }
      case 0xdb: case 0xc6: { const n = <i32>this.be(4); this.pos += n; return; }
      case 0xdc: { const n = <i32>this.be(2); for (let i = 0; i < n; i++) this.skip(); return; }
      case 0xde: { const n = <i32>this.be(2); for (let i = 0; i < n * 2; i++) this.skip(); return; }
    }
    this.ok = false;
  }
}
