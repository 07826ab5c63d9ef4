/**
 * The `Job` payloads' MessagePack written and read by hand: a sequence step is one Job
 * request and one reply, each encoded once and decoded once, and the generic codec's
 * per-call work (a generator per decode, a recursive depth walk of the decoded value, a
 * resizable buffer) was a third of a 3-step request's CPU (docs/directive.md, "Measured").
 *
 * The bytes written are the ones the generic encoder writes for the same value (smallest
 * header for each string, bin, map and integer; keys in Object.keys order), so peers see no
 * difference; a value of another shape is left to the generic encoder (NOT_FAST). The
 * reader is job-wire-read.ts.
 */

const textEncoder = new TextEncoder();

/** A value the fast writer does not take: the caller encodes with the generic codec. */
export const NOT_FAST = Symbol("not fast");

/**
 * Small payloads are written straight into a shared slab and handed out as views of it, as
 * Node's Buffer pool does: a fresh typed array over 64 bytes costs a backing store (about
 * 0.3 µs each here, more than writing a small payload; owned arrays made a 3-step request
 * 20% dearer). A slab is never written twice. Posting a view to a worker would clone the
 * whole slab: the pools post `ownBuffer(payload)` (runtime/owned-bytes.ts) instead.
 */
const SLAB_BYTES = 64 * 1024;
const FROM_SLAB_UP_TO = 16 * 1024;
let slab = new Uint8Array(SLAB_BYTES);
let slabAt = 0;

class Writer {
  readonly bytes: Uint8Array;
  readonly #start: number;
  pos: number;

  /** `size`: an upper bound of the payload's length. */
  constructor(size: number) {
    if (size <= FROM_SLAB_UP_TO) {
      if (slabAt + size > SLAB_BYTES) {
        slab = new Uint8Array(SLAB_BYTES);
        slabAt = 0;
      }
      this.bytes = slab;
      this.#start = this.pos = slabAt;
    } else {
      this.bytes = new Uint8Array(size);
      this.#start = this.pos = 0;
    }
  }

  done(): Uint8Array {
    const start = this.#start;
    if (this.bytes === slab) {
      // The next view starts 8-byte aligned, as a fresh buffer would.
      slabAt = (this.pos + 7) & ~7;
      return slab.subarray(start, this.pos);
    }
    // A copy when the estimate was far off, so the payload does not hold twice its size.
    return this.pos * 2 < this.bytes.length ? this.bytes.slice(0, this.pos) : this.bytes.subarray(0, this.pos);
  }

  u8(v: number): void {
    this.bytes[this.pos++] = v;
  }

  u16(v: number): void {
    const b = this.bytes;
    b[this.pos++] = v >>> 8;
    b[this.pos++] = v & 0xff;
  }

  u32(v: number): void {
    const b = this.bytes;
    b[this.pos++] = v >>> 24;
    b[this.pos++] = (v >>> 16) & 0xff;
    b[this.pos++] = (v >>> 8) & 0xff;
    b[this.pos++] = v & 0xff;
  }

  strHeader(n: number): void {
    if (n < 32) this.u8(0xa0 + n);
    else if (n < 0x100) {
      this.u8(0xd9);
      this.u8(n);
    } else if (n < 0x10000) {
      this.u8(0xda);
      this.u16(n);
    } else {
      this.u8(0xdb);
      this.u32(n);
    }
  }

  /** Room is reserved by the caller's size estimate (3 bytes per UTF-16 unit at most). */
  str(s: string): void {
    const n = s.length;
    if (n < 0x100) {
      // ASCII written directly under the header it will have; anything else re-encoded below.
      const start = this.pos;
      this.strHeader(n);
      const b = this.bytes;
      let p = this.pos;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        b[p++] = c;
      }
      if (i === n) {
        this.pos = p;
        return;
      }
      this.pos = start;
    }
    const encoded = textEncoder.encode(s);
    this.strHeader(encoded.length);
    this.bytes.set(encoded, this.pos);
    this.pos += encoded.length;
  }

  bin(v: Uint8Array): void {
    const n = v.length;
    if (n < 0x100) {
      this.u8(0xc4);
      this.u8(n);
    } else if (n < 0x10000) {
      this.u8(0xc5);
      this.u16(n);
    } else {
      this.u8(0xc6);
      this.u32(n);
    }
    this.bytes.set(v, this.pos);
    this.pos += n;
  }

  mapHeader(n: number): void {
    if (n < 16) this.u8(0x80 + n);
    else if (n < 0x10000) {
      this.u8(0xde);
      this.u16(n);
    } else {
      this.u8(0xdf);
      this.u32(n);
    }
  }

  /** Integers in the range a Job uses (an i32 error code); others are not fast. */
  int(v: number): void {
    if (v >= 0) {
      if (v < 0x80) this.u8(v);
      else if (v < 0x100) {
        this.u8(0xcc);
        this.u8(v);
      } else if (v < 0x10000) {
        this.u8(0xcd);
        this.u16(v);
      } else {
        this.u8(0xce);
        this.u32(v);
      }
    } else if (v >= -0x20) this.u8(0xe0 | (v + 0x20));
    else if (v >= -0x80) {
      this.u8(0xd0);
      this.u8(v & 0xff);
    } else if (v >= -0x8000) {
      this.u8(0xd1);
      this.u16(v & 0xffff);
    } else {
      this.u8(0xd2);
      this.u32(v >>> 0);
    }
  }
}

/** Upper bound of a string's bytes with its header. */
const strRoom = (s: string): number => 5 + 3 * s.length;

/** Room for a map of strings, or -1 when a value is not a string. */
function stringMapRoom(m: Record<string, string>): number {
  if (typeof m !== "object" || m === null) return -1;
  let room = 5;
  for (const k of Object.keys(m)) {
    const v = m[k];
    if (typeof v !== "string") return -1;
    room += strRoom(k) + strRoom(v);
  }
  return room;
}

/** Room for a map of byte values, or -1 when a value is not a Uint8Array. */
function bytesMapRoom(m: Record<string, Uint8Array>): number {
  if (typeof m !== "object" || m === null) return -1;
  let room = 5;
  for (const k of Object.keys(m)) {
    const v = m[k];
    if (!(v instanceof Uint8Array)) return -1;
    room += strRoom(k) + 5 + v.length;
  }
  return room;
}

function writeStringMap(w: Writer, m: Record<string, string>): void {
  const keys = Object.keys(m);
  w.mapHeader(keys.length);
  for (const k of keys) {
    w.str(k);
    w.str(m[k]!);
  }
}

function writeBytesMap(w: Writer, m: Record<string, Uint8Array>): void {
  const keys = Object.keys(m);
  w.mapHeader(keys.length);
  for (const k of keys) {
    w.str(k);
    w.bin(m[k]!);
  }
}

export interface WireJobRequest {
  method: string;
  url: string;
  requestId: string;
  body: Uint8Array;
  headers: Record<string, string>;
  params: Record<string, string>;
  state: Record<string, Uint8Array>;
}

export type WireJobReply = { output: Uint8Array; headers: Record<string, string> } | { error: { code: number; message: string } };

/** `{method, url, requestId, body, headers, params, state}`, as the generic encoder writes it. */
export function writeJobRequest(r: WireJobRequest): Uint8Array | typeof NOT_FAST {
  if (typeof r.method !== "string" || typeof r.url !== "string" || typeof r.requestId !== "string" || !(r.body instanceof Uint8Array)) return NOT_FAST;
  const headers = stringMapRoom(r.headers);
  const params = stringMapRoom(r.params);
  const state = bytesMapRoom(r.state);
  if (headers < 0 || params < 0 || state < 0) return NOT_FAST;
  const w = new Writer(64 + strRoom(r.method) + strRoom(r.url) + strRoom(r.requestId) + 5 + r.body.length + headers + params + state);
  w.u8(0x87);
  w.str("method");
  w.str(r.method);
  w.str("url");
  w.str(r.url);
  w.str("requestId");
  w.str(r.requestId);
  w.str("body");
  w.bin(r.body);
  w.str("headers");
  writeStringMap(w, r.headers);
  w.str("params");
  writeStringMap(w, r.params);
  w.str("state");
  writeBytesMap(w, r.state);
  return w.done();
}

/** `{output, headers}` or `{error: {code, message}}`, as the generic encoder writes it. */
export function writeJobReply(r: WireJobReply): Uint8Array | typeof NOT_FAST {
  if ("error" in r) {
    const { code, message } = r.error;
    if (!Number.isInteger(code) || code < -0x80000000 || code > 0xffffffff || typeof message !== "string") return NOT_FAST;
    const w = new Writer(32 + strRoom(message));
    w.u8(0x81);
    w.str("error");
    w.u8(0x82);
    w.str("code");
    w.int(code);
    w.str("message");
    w.str(message);
    return w.done();
  }
  if (!(r.output instanceof Uint8Array)) return NOT_FAST;
  const headers = stringMapRoom(r.headers);
  if (headers < 0) return NOT_FAST;
  const w = new Writer(32 + 5 + r.output.length + headers);
  w.u8(0x82);
  w.str("output");
  w.bin(r.output);
  w.str("headers");
  writeStringMap(w, r.headers);
  return w.done();
}
