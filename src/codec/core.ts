/** Logging, extras, health and binding configuration payloads (spec section 2). */
import { asMap, bool, int, str, stringMap } from "./fields.js";
import { decodeFirst, encode } from "./msgpack.js";

export interface WriteLog {
  /** 0 off, 1 error, 2 warn, 3 info, 4 debug, 5 trace. */
  level: number;
  body: string;
}

export function decodeWriteLog(payload: Uint8Array): WriteLog {
  const what = "WriteLog";
  const m = asMap(decodeFirst(payload, what), what);
  return { level: int(m, "level", what, 3), body: str(m, "body", what, "") };
}
export const encodeWriteLog = (l: WriteLog): Uint8Array => encode({ level: l.level, body: l.body });

export interface ExtrasRequest {
  guid: boolean;
  sequence: boolean;
  random: boolean;
  min: number;
  max: number;
}

export interface ExtrasReply {
  guid: string | null;
  sequenceNumber: number;
  randomNumber: number;
}

export function decodeExtrasRequest(payload: Uint8Array): ExtrasRequest {
  const what = "extras request";
  const m = payload.length === 0 ? {} : asMap(decodeFirst(payload, what), what);
  return { guid: bool(m, "guid", what), sequence: bool(m, "sequence", what), random: bool(m, "random", what), min: int(m, "min", what, 0), max: int(m, "max", what, 0) };
}
export const encodeExtrasRequest = (r: ExtrasRequest): Uint8Array => encode({ ...r });

// `guid` is nil when not asked for: encode null explicitly, not as an absent key.
export const encodeExtrasReply = (r: ExtrasReply): Uint8Array => encode({ guid: r.guid, sequenceNumber: r.sequenceNumber, randomNumber: r.randomNumber });

export function decodeExtrasReply(payload: Uint8Array): ExtrasReply {
  const what = "extras reply";
  const m = asMap(decodeFirst(payload, what), what);
  return { guid: m.guid === null || m.guid === undefined ? null : str(m, "guid", what), sequenceNumber: int(m, "sequenceNumber", what, 0), randomNumber: int(m, "randomNumber", what, 0) };
}

export const encodeHealthRequest = (): Uint8Array => encode({ placeholder: true });

export interface BindingConfig {
  module: string;
  values: Record<string, string>;
}
export const encodeBindingConfig = (c: BindingConfig): Uint8Array => encode({ module: c.module, values: c.values });
export function decodeBindingConfig(payload: Uint8Array): BindingConfig {
  const what = "binding configuration";
  const m = asMap(decodeFirst(payload, what), what);
  return { module: str(m, "module", what), values: stringMap(m, "values", what) };
}

/** The empty map that acknowledges an operation with no result. */
export const EMPTY_REPLY = encode({});
