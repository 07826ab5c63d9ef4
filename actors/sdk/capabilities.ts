// Typed helpers for the other waSCC capabilities (docs/wascc-protocol.md §2), on top of hostCall.
import { Reader, Writer } from "./msgpack";
import { hostCall, Result } from "./wapc";

export const HTTP_SERVER = "wascc:http_server";
export const KEYVALUE = "wascc:keyvalue";
export const MESSAGING = "wascc:messaging";
export const LOGGING = "wascc:logging";
export const EXTRAS = "wascc:extras";

/** Reads one field of a reply map (ints), or returns `fallback` / sets `ok` false. */
function replyInt(result: Result, field: string): i64 {
  const r = new Reader(Uint8Array.wrap(result.data));
  const n = r.mapHeader();
  for (let i = 0; i < n && r.ok; i++) {
    if (r.string() == field) return r.int();
    r.skip();
  }
  return 0;
}

function replyString(result: Result, field: string): string {
  const r = new Reader(Uint8Array.wrap(result.data));
  const n = r.mapHeader();
  for (let i = 0; i < n && r.ok; i++) {
    if (r.string() == field) return r.peekNil() ? "" : r.string();
    r.skip();
  }
  return "";
}

export class KeyValue {
  constructor(public binding: string = "") {}

  /** Adds `value` to the integer at `key`; the reply data holds the new value (see addValue). */
  add(key: string, value: i32): Result {
    const w = new Writer().mapHeader(2);
    w.string("key").string(key);
    w.string("value").int(value);
    return hostCall(this.binding, KEYVALUE, "Add", w.toBuffer());
  }

  static addValue(result: Result): i64 {
    return replyInt(result, "value");
  }

  get(key: string): Result {
    const w = new Writer().mapHeader(1);
    w.string("key").string(key);
    return hostCall(this.binding, KEYVALUE, "Get", w.toBuffer());
  }

  static getValue(result: Result): string {
    return replyString(result, "value");
  }

  set(key: string, value: string, expires: i32 = 0): Result {
    const w = new Writer().mapHeader(3);
    w.string("key").string(key);
    w.string("value").string(value);
    w.string("expires").int(expires);
    return hostCall(this.binding, KEYVALUE, "Set", w.toBuffer());
  }

  del(key: string): Result {
    const w = new Writer().mapHeader(1);
    w.string("key").string(key);
    return hostCall(this.binding, KEYVALUE, "Del", w.toBuffer());
  }
}

export class Messaging {
  constructor(public binding: string = "") {}

  publish(subject: string, replyTo: string, body: Uint8Array): Result {
    const w = new Writer().mapHeader(3);
    w.string("subject").string(subject);
    w.string("replyTo").string(replyTo);
    w.string("body").bin(body);
    return hostCall(this.binding, MESSAGING, "Publish", w.toBuffer());
  }

  request(subject: string, body: Uint8Array, timeoutMs: i64): Result {
    const w = new Writer().mapHeader(3);
    w.string("subject").string(subject);
    w.string("body").bin(body);
    w.string("timeout").int(timeoutMs);
    return hostCall(this.binding, MESSAGING, "Request", w.toBuffer());
  }
}

/** A message delivered by the messaging provider (DeliverMessage). */
export class BrokerMessage {
  subject: string = "";
  replyTo: string = "";
  body: Uint8Array = new Uint8Array(0);

  static decode(payload: ArrayBuffer): BrokerMessage {
    const r = new Reader(Uint8Array.wrap(payload));
    const m = new BrokerMessage();
    const n = r.mapHeader();
    for (let i = 0; i < n && r.ok; i++) {
      const key = r.string();
      if (key == "subject") m.subject = r.string();
      else if (key == "replyTo") m.replyTo = r.string();
      else if (key == "body") m.body = r.bytes();
      else r.skip();
    }
    return m;
  }
}

export const LOG_ERROR: u32 = 1;
export const LOG_WARN: u32 = 2;
export const LOG_INFO: u32 = 3;
export const LOG_DEBUG: u32 = 4;

export function writeLog(level: u32, text: string, binding: string = ""): Result {
  const w = new Writer().mapHeader(2);
  w.string("level").int(level);
  w.string("body").string(text);
  return hostCall(binding, LOGGING, "WriteLog", w.toBuffer());
}

function extras(operation: string, guid: bool, sequence: bool, random: bool, min: u32, max: u32): Result {
  const w = new Writer().mapHeader(5);
  w.string("guid").bool(guid);
  w.string("sequence").bool(sequence);
  w.string("random").bool(random);
  w.string("min").int(min);
  w.string("max").int(max);
  return hostCall("", EXTRAS, operation, w.toBuffer());
}

export function requestGuid(): string {
  return replyString(extras("RequestGuid", true, false, false, 0, 0), "guid");
}

export function requestRandom(min: u32, max: u32): i64 {
  return replyInt(extras("RequestRandom", false, false, true, min, max), "randomNumber");
}

export function requestSequence(): i64 {
  return replyInt(extras("RequestSequence", false, true, false, 0, 0), "sequenceNumber");
}

/** Calls an operation of another actor, by its module public key. */
export function callActor(moduleKey: string, operation: string, payload: ArrayBuffer): Result {
  return hostCall("default", moduleKey, operation, payload);
}
