/**
 * The wire form of a session-authenticated invocation: one buffer, so the payload is written
 * once and read in place (no copy on the receiving side).
 *
 *   'W' '2' | u16 header length | header (MessagePack array) | HMAC-SHA256 tag (32) | payload
 *
 * The tag covers the prefix and header bytes exactly as sent, then the payload: origin,
 * target, operation, payload, sequence and both sessions are bound by one MAC pass (version
 * 1 hashed the payload separately into the header: one more SHA-256 and object per call on
 * each side, ~1.4 µs of ~20). The invocation id is `<sender session>.<sequence>`, unique in
 * the lattice.
 * A JWT invocation (spec section 5) is a MessagePack map and never starts with 'W'.
 * A traced call appends the W3C `traceparent` (and `tracestate`) to the header, under the
 * MAC; an untraced call sends 9 fields.
 */
import { createHmac, timingSafeEqual, type KeyObject } from "node:crypto";
import { Decoder, Encoder } from "@msgpack/msgpack";
import type { ActorIdentity } from "../host/provider.js";
import { carrierOf, type TraceCarrier } from "../tracing/carrier.js";
import { callerOf, entityFromWire, entityToWire, InvocationRejected, type Entity, type EntityWire } from "./invocation.js";

const encoder = new Encoder();
const decoder = new Decoder();
const MAGIC_0 = 0x57; // 'W'
const MAGIC_1 = 0x32; // '2'
const TAG_BYTES = 32;
const PREFIX_BYTES = 4;

export interface SessionHeader {
  fromHost: string;
  fromSid: string;
  toHost: string;
  toSid: string;
  seq: number;
  origin: Entity;
  target: Entity;
  operation: string;
  caller: ActorIdentity | undefined;
  trace?: TraceCarrier | undefined;
}

export interface OpenedEnvelope {
  header: SessionHeader;
  /** The prefix and the header as sent: what the tag covers before the payload. */
  signed: Uint8Array;
  tag: Uint8Array;
  msg: Uint8Array;
}

export const isSessionEnvelope = (bytes: Uint8Array): boolean => bytes.length > PREFIX_BYTES && bytes[0] === MAGIC_0 && bytes[1] === MAGIC_1;

export const macOf = (key: KeyObject, signed: Uint8Array, msg: Uint8Array): Buffer => createHmac("sha256", key).update(signed).update(msg).digest();

type HeaderWire = [string, string, string, string, number, EntityWire, EntityWire, string, ActorIdentity | null, ...string[]];

/** Builds the envelope; `key` is the sender's HMAC key towards `header.toSid`. */
export function sealEnvelope(header: SessionHeader, msg: Uint8Array, key: KeyObject): Uint8Array {
  const wire: HeaderWire = [
    header.fromHost,
    header.fromSid,
    header.toHost,
    header.toSid,
    header.seq,
    entityToWire(header.origin),
    entityToWire(header.target),
    header.operation,
    header.caller ? { key: header.caller.key, issuer: header.caller.issuer, caps: header.caller.caps, ...(header.caller.name !== undefined && { name: header.caller.name }) } : null,
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
  out.set(headerBytes, PREFIX_BYTES);
  const tagAt = PREFIX_BYTES + headerBytes.length;
  out.set(macOf(key, out.subarray(0, tagAt), msg), tagAt);
  out.set(msg, PREFIX_BYTES + headerBytes.length + TAG_BYTES);
  return out;
}

/** Splits and parses an envelope; nothing in it is trusted until `verifyTag` passed. */
export function openEnvelope(bytes: Uint8Array): OpenedEnvelope {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.readUInt16BE(2);
  const tagAt = PREFIX_BYTES + length;
  if (view.length < tagAt + TAG_BYTES) throw new InvocationRejected("malformed", "the invocation envelope is truncated");
  const headerBytes = view.subarray(PREFIX_BYTES, tagAt);
  let w: unknown;
  try {
    w = decoder.decode(headerBytes);
  } catch (err) {
    throw new InvocationRejected("malformed", `the invocation header is not MessagePack: ${(err as Error).message}`);
  }
  if (!Array.isArray(w) || w.length < 9 || w.length > 11) throw new InvocationRejected("malformed", "the invocation header is not a 9- to 11-field array");
  const [fromHost, fromSid, toHost, toSid, seq, origin, target, operation, caller, traceparent, tracestate] = w as unknown[];
  if (typeof fromHost !== "string" || typeof fromSid !== "string" || typeof toHost !== "string" || typeof toSid !== "string" || typeof seq !== "number" || typeof operation !== "string") {
    throw new InvocationRejected("malformed", "the invocation header has a field of the wrong type");
  }
  return {
    header: { fromHost, fromSid, toHost, toSid, seq, origin: entityFromWire(origin), target: entityFromWire(target), operation, caller: callerOf(caller), trace: carrierOf(traceparent, tracestate) },
    signed: view.subarray(0, tagAt),
    tag: view.subarray(tagAt, tagAt + TAG_BYTES),
    msg: view.subarray(tagAt + TAG_BYTES),
  };
}

/** Constant-time check of the tag. */
export function verifyTag(envelope: OpenedEnvelope, key: KeyObject): boolean {
  return timingSafeEqual(macOf(key, envelope.signed, envelope.msg), envelope.tag);
}
