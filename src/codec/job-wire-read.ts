/**
 * Reads the `Job` payloads job-wire.ts writes, by hand. It takes the common shapes only (maps
 * of str/bin/int/nil, as wactor and the SDKs write them); on anything else it returns
 * undefined and the caller decodes with the generic codec, which keeps every rule it has
 * (limits, `str` for bytes, lists of header values, errors that name the field).
 */
import type { WireJobReply, WireJobRequest } from "./job-wire.js";

const textDecoder = new TextDecoder();

/** Strings this short are looked up in a cache (keys, methods, header names and values repeat). */
const SHORT = 24;
const CACHE_SLOTS = 4096;
const cachedBytes: Array<Uint8Array | undefined> = new Array<Uint8Array | undefined>(CACHE_SLOTS);
const cachedStrings: Array<string | undefined> = new Array<string | undefined>(CACHE_SLOTS);

function shortString(bytes: Uint8Array, start: number, n: number): string {
  let hash = n;
  for (let i = start; i < start + n; i++) hash = (Math.imul(hash, 31) + bytes[i]!) | 0;
  const slot = (hash >>> 0) & (CACHE_SLOTS - 1);
  const known = cachedBytes[slot];
  if (known !== undefined && known.length === n) {
    let i = 0;
    while (i < n && known[i] === bytes[start + i]) i++;
    if (i === n) return cachedStrings[slot]!;
  }
  const copy = bytes.slice(start, start + n);
  const text = textDecoder.decode(copy);
  cachedBytes[slot] = copy;
  cachedStrings[slot] = text;
  return text;
}

/** Thrown inside the reader for a shape it does not take; never escapes this file. */
const SLOW = new Error("not a fast shape");

class Reader {
  pos = 0;
  constructor(readonly bytes: Uint8Array) {}

  byte(): number {
    if (this.pos >= this.bytes.length) throw SLOW;
    return this.bytes[this.pos++]!;
  }

  u16(): number {
    return (this.byte() << 8) | this.byte();
  }

  u32(): number {
    return ((this.byte() << 24) | (this.byte() << 16) | (this.byte() << 8) | this.byte()) >>> 0;
  }

  take(n: number): Uint8Array {
    const end = this.pos + n;
    if (end > this.bytes.length) throw SLOW;
    const out = this.bytes.subarray(this.pos, end);
    this.pos = end;
    return out;
  }

  /** A map's size, or -1 for nil. */
  mapSize(): number {
    const h = this.byte();
    if (h >= 0x80 && h <= 0x8f) return h - 0x80;
    if (h === 0xde) return this.u16();
    if (h === 0xdf) return this.u32();
    if (h === 0xc0) return -1;
    throw SLOW;
  }

  /** A `str`; `bin` only where the caller says so. */
  str(): string {
    const h = this.byte();
    let n: number;
    if (h >= 0xa0 && h <= 0xbf) n = h - 0xa0;
    else if (h === 0xd9) n = this.byte();
    else if (h === 0xda) n = this.u16();
    else if (h === 0xdb) n = this.u32();
    else throw SLOW;
    const start = this.pos;
    const end = start + n;
    if (end > this.bytes.length) throw SLOW;
    this.pos = end;
    return n <= SHORT ? shortString(this.bytes, start, n) : textDecoder.decode(this.bytes.subarray(start, end));
  }

  /** A map key: a `str` (other key types are left to the generic codec); `__proto__` too. */
  key(): string {
    const k = this.str();
    if (k === "__proto__") throw SLOW;
    return k;
  }

  /** `bin` (a view of the payload, as the generic decoder gives); nil is empty. */
  bin(): Uint8Array {
    const h = this.byte();
    if (h === 0xc4) return this.take(this.byte());
    if (h === 0xc5) return this.take(this.u16());
    if (h === 0xc6) return this.take(this.u32());
    if (h === 0xc0) return new Uint8Array(0);
    throw SLOW;
  }

  /** A `str` field; nil is the empty default. */
  optionalStr(): string {
    if (this.bytes[this.pos] === 0xc0) {
      this.pos++;
      return "";
    }
    return this.str();
  }

  int(): number {
    const h = this.byte();
    if (h <= 0x7f) return h;
    if (h >= 0xe0) return h - 0x100;
    if (h === 0xcc) return this.byte();
    if (h === 0xcd) return this.u16();
    if (h === 0xce) return this.u32();
    if (h === 0xd0) return (this.byte() << 24) >> 24;
    if (h === 0xd1) return (this.u16() << 16) >> 16;
    if (h === 0xd2) return this.u32() | 0;
    if (h === 0xc0) return 0;
    throw SLOW;
  }

  /** Maps without a prototype: a peer's keys are plain keys, and the runtime keeps them as they are. */
  stringMap(): Record<string, string> {
    const out = Object.create(null) as Record<string, string>;
    const n = this.mapSize();
    for (let i = 0; i < n; i++) {
      const k = this.key();
      out[k] = this.str();
    }
    return out;
  }

  bytesMap(): Record<string, Uint8Array> {
    const out = Object.create(null) as Record<string, Uint8Array>;
    const n = this.mapSize();
    for (let i = 0; i < n; i++) {
      const k = this.key();
      out[k] = this.bin();
    }
    return out;
  }
}

/** A Job request in the common shape, or undefined (then the generic decoder decides). */
export function readJobRequest(payload: Uint8Array): WireJobRequest | undefined {
  const r = new Reader(payload);
  const request: WireJobRequest = { method: "", url: "", requestId: "", body: new Uint8Array(0), headers: {}, params: {}, state: {} };
  try {
    const n = r.mapSize();
    if (n < 0) return undefined;
    for (let i = 0; i < n; i++) {
      const key = r.key();
      if (key === "method") request.method = r.optionalStr();
      else if (key === "url") request.url = r.optionalStr();
      else if (key === "requestId") request.requestId = r.optionalStr();
      else if (key === "body") request.body = r.bin();
      else if (key === "headers") request.headers = r.stringMap();
      else if (key === "params") request.params = r.stringMap();
      else if (key === "state") request.state = r.bytesMap();
      else return undefined;
    }
  } catch (err) {
    if (err === SLOW) return undefined;
    throw err;
  }
  return request;
}

/** A Job reply in the common shape, or undefined (then the generic decoder decides). */
export function readJobReply(payload: Uint8Array): WireJobReply | undefined {
  const r = new Reader(payload);
  let output: Uint8Array = new Uint8Array(0);
  let headers: Record<string, string> = {};
  let error: { code: number; message: string } | undefined;
  try {
    const n = r.mapSize();
    if (n < 0) return undefined;
    for (let i = 0; i < n; i++) {
      const key = r.key();
      if (key === "output") output = r.bin();
      else if (key === "headers") headers = r.stringMap();
      else if (key === "error") {
        const m = r.mapSize();
        if (m < 0) {
          error = undefined;
          continue;
        }
        error = { code: 0, message: "" };
        for (let j = 0; j < m; j++) {
          const k = r.key();
          if (k === "code") error.code = r.int();
          else if (k === "message") error.message = r.optionalStr();
          else return undefined;
        }
      } else return undefined;
    }
  } catch (err) {
    if (err === SLOW) return undefined;
    throw err;
  }
  return error ? { error } : { output, headers };
}
