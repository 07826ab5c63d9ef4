/**
 * The wire form of a session-authenticated invocation: one buffer, so the payload is written
 * once and read in place (no copy on the receiving side).
 *
 *   'W' '3' | u16 header length | u64 sequence | header (MessagePack array) | HMAC-SHA256 tag (32) | payload
 *
 * The tag covers the prefix and header bytes exactly as sent, then the payload: sessions,
 * sequence, origin, target, operation and payload are bound by one MAC pass. The invocation
 * id is `<sender session>.<sequence>`, unique in the lattice.
 * Host ids are not on the wire (version 2 carried both): a session id names its host through
 * the signed announcement, so they were 116 redundant bytes to encode, send and decode.
 * The sequence sits in the fixed prefix so that the MessagePack header is the same bytes for
 * every call of one pair of sessions to one target and operation: the receiver decodes such a
 * header once and reuses it (a 150-byte compare instead of a ~1.3 µs decode per call).
 * A JWT invocation (docs/wascc-protocol.md §5) is a MessagePack map and never starts with 'W'.
 * A traced call appends the W3C `traceparent` (and `tracestate`) to the header, under the
 * MAC; an untraced call sends 6 fields.
 */
import { createHmac, timingSafeEqual, type KeyObject } from "node:crypto";
import { Decoder, Encoder } from "@msgpack/msgpack";
import type { ActorIdentity } from "../../provider/contract.js";
import { carrierOf, type TraceCarrier } from "../../tracing/carrier.js";
import { callerOf, entityFromWire, entityToWire, InvocationRejected, type Entity, type EntityWire } from "../wire/invocation.js";

const encoder = new Encoder();
const decoder = new Decoder();
const MAGIC_0 = 0x57; // 'W'
const MAGIC_1 = 0x33; // '3'
const TAG_BYTES = 32;
const PREFIX_BYTES = 12;

/** What the header says; the same object may serve many calls (see HeaderCache): never mutate it. */
export interface SessionHeader {
  fromSid: string;
  toSid: string;
  origin: Entity;
  target: Entity;
  operation: string;
  caller: ActorIdentity | undefined;
  trace?: TraceCarrier | undefined;
}

export interface OpenedEnvelope {
  header: Readonly<SessionHeader>;
  seq: number;
  /** The prefix and the header as sent: what the tag covers before the payload. */
  signed: Uint8Array;
  tag: Uint8Array;
  msg: Uint8Array;
}

export const isSessionEnvelope = (bytes: Uint8Array): boolean => bytes.length > PREFIX_BYTES && bytes[0] === MAGIC_0 && bytes[1] === MAGIC_1;

export const macOf = (key: KeyObject, signed: Uint8Array, msg: Uint8Array): Buffer => createHmac("sha256", key).update(signed).update(msg).digest();

type HeaderWire = [string, string, EntityWire, EntityWire, string, ActorIdentity | null, ...string[]];

/** Builds the envelope; `key` is the sender's HMAC key towards `header.toSid`. */
export function sealEnvelope(header: SessionHeader, seq: number, msg: Uint8Array, key: KeyObject): Uint8Array {
  if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError(`sequence ${seq} is not a non-negative safe integer`);
  const wire: HeaderWire = [
    header.fromSid,
    header.toSid,
    entityToWire(header.origin),
    entityToWire(header.target),
    header.operation,
    header.caller
      ? {
          key: header.caller.key,
          issuer: header.caller.issuer,
          caps: header.caller.caps,
          ...(header.caller.name !== undefined && { name: header.caller.name }),
        }
      : null,
  ];
  if (header.trace) {
    wire.push(header.trace.traceparent);
    if (header.trace.tracestate !== undefined) wire.push(header.trace.tracestate);
  }
  // A view into the encoder's buffer: MAC'd and copied out before anything encodes again.
  const headerBytes = encoder.encodeSharedRef(wire);
  if (headerBytes.length > 0xffff) throw new InvocationRejected("malformed", "the invocation header exceeds 64 KiB");
  const out = Buffer.allocUnsafe(PREFIX_BYTES + headerBytes.length + TAG_BYTES + msg.length);
  out[0] = MAGIC_0;
  out[1] = MAGIC_1;
  out.writeUInt16BE(headerBytes.length, 2);
  out.writeUInt32BE(Math.floor(seq / 2 ** 32), 4);
  out.writeUInt32BE(seq >>> 0, 8);
  out.set(headerBytes, PREFIX_BYTES);
  const tagAt = PREFIX_BYTES + headerBytes.length;
  out.set(macOf(key, out.subarray(0, tagAt), msg), tagAt);
  out.set(msg, tagAt + TAG_BYTES);
  return out;
}

/** Splits and parses an envelope; nothing in it is trusted until `verifyTag` passed. */
export function openEnvelope(bytes: Uint8Array): OpenedEnvelope {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.length < PREFIX_BYTES) throw new InvocationRejected("malformed", "the invocation envelope is truncated");
  const length = view.readUInt16BE(2);
  const tagAt = PREFIX_BYTES + length;
  if (view.length < tagAt + TAG_BYTES) throw new InvocationRejected("malformed", "the invocation envelope is truncated");
  const seq = view.readUInt32BE(4) * 2 ** 32 + view.readUInt32BE(8);
  if (!Number.isSafeInteger(seq)) throw new InvocationRejected("malformed", "the invocation sequence is out of range");
  const headerBytes = view.subarray(PREFIX_BYTES, tagAt);
  return {
    header: headers.get(headerBytes) ?? headers.put(headerBytes, decodeHeader(headerBytes)),
    seq,
    signed: view.subarray(0, tagAt),
    tag: view.subarray(tagAt, tagAt + TAG_BYTES),
    msg: view.subarray(tagAt + TAG_BYTES),
  };
}

function decodeHeader(headerBytes: Uint8Array): SessionHeader {
  let w: unknown;
  try {
    w = decoder.decode(headerBytes);
  } catch (err) {
    throw new InvocationRejected("malformed", `the invocation header is not MessagePack: ${(err as Error).message}`);
  }
  if (!Array.isArray(w) || w.length < 6 || w.length > 8) throw new InvocationRejected("malformed", "the invocation header is not a 6- to 8-field array");
  const [fromSid, toSid, origin, target, operation, caller, traceparent, tracestate] = w as unknown[];
  if (typeof fromSid !== "string" || typeof toSid !== "string" || typeof operation !== "string") {
    throw new InvocationRejected("malformed", "the invocation header has a field of the wrong type");
  }
  return {
    fromSid,
    toSid,
    origin: entityFromWire(origin),
    target: entityFromWire(target),
    operation,
    caller: callerOf(caller),
    trace: carrierOf(traceparent, tracestate),
  };
}

/**
 * Headers decoded before, by their exact bytes: the last one (a byte compare) and up to
 * `capacity` others (a map keyed by the bytes as a latin1 string). A hit returns the very
 * object decoded before, frozen; the MAC is still checked on every call.
 */
class HeaderCache {
  readonly #byBytes = new Map<string, Readonly<SessionHeader>>();
  #lastBytes = Buffer.alloc(0);
  #last: Readonly<SessionHeader> | undefined;

  constructor(readonly capacity: number) {}

  get(bytes: Buffer): Readonly<SessionHeader> | undefined {
    if (this.#last && this.#lastBytes.length === bytes.length && this.#lastBytes.equals(bytes)) return this.#last;
    const header = this.#byBytes.get(bytes.toString("latin1"));
    if (header) this.#remember(bytes, header);
    return header;
  }

  put(bytes: Buffer, header: SessionHeader): Readonly<SessionHeader> {
    const frozen = deepFreeze(header);
    if (header.trace) return frozen; // a trace context is new on every call: nothing to reuse
    if (this.#byBytes.size >= this.capacity) this.#byBytes.clear();
    this.#byBytes.set(bytes.toString("latin1"), frozen);
    this.#remember(bytes, frozen);
    return frozen;
  }

  #remember(bytes: Buffer, header: Readonly<SessionHeader>): void {
    this.#lastBytes = Buffer.from(bytes);
    this.#last = header;
  }
}

function deepFreeze<T extends object>(value: T): Readonly<T> {
  for (const field of Object.values(value)) if (typeof field === "object" && field !== null) deepFreeze(field as object);
  return Object.freeze(value);
}

const headers = new HeaderCache(1024);

/** Constant-time check of the tag. */
export function verifyTag(envelope: OpenedEnvelope, key: KeyObject): boolean {
  return timingSafeEqual(macOf(key, envelope.signed, envelope.msg), envelope.tag);
}
