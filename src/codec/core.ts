/** Logging, extras, health and binding configuration payloads (docs/wascc-protocol.md §2). */
import { WactorError } from "../errors.js";
import { asMap, bool, int, str } from "./fields.js";
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
  return {
    guid: bool(m, "guid", what),
    sequence: bool(m, "sequence", what),
    random: bool(m, "random", what),
    min: int(m, "min", what, 0),
    max: int(m, "max", what, 0),
  };
}
export const encodeExtrasRequest = (r: ExtrasRequest): Uint8Array => encode({ ...r });

// `guid` is nil when not asked for: encode null explicitly, not as an absent key.
export const encodeExtrasReply = (r: ExtrasReply): Uint8Array => encode({ guid: r.guid, sequenceNumber: r.sequenceNumber, randomNumber: r.randomNumber });

export function decodeExtrasReply(payload: Uint8Array): ExtrasReply {
  const what = "extras reply";
  const m = asMap(decodeFirst(payload, what), what);
  return {
    guid: m.guid === null || m.guid === undefined ? null : str(m, "guid", what),
    sequenceNumber: int(m, "sequenceNumber", what, 0),
    randomNumber: int(m, "randomNumber", what, 0),
  };
}

/** Host -> actor `HealthRequest` (docs/wascc-protocol.md §2, Core); waSCC always sends `placeholder: true`. */
export interface HealthRequest {
  placeholder: boolean;
}

export const encodeHealthRequest = (request: HealthRequest = { placeholder: true }): Uint8Array => encode({ placeholder: request.placeholder });

export function decodeHealthRequest(payload: Uint8Array): HealthRequest {
  const what = "HealthRequest";
  const m = payload.length === 0 ? {} : asMap(decodeFirst(payload, what), what);
  return { placeholder: bool(m, "placeholder", what) };
}

/**
 * An actor's answer to `HealthRequest`. waSCC defines no reply struct: an empty reply means
 * healthy, and an unhealthy actor fails the call (a guest error, seen by the caller as a
 * rejected invocation, not as a reply). The map form `{healthy, message}` is what later
 * wasmCloud actors send; it is accepted so their "unhealthy" is not read as healthy.
 */
export interface HealthResponse {
  healthy: boolean;
  message: string;
}

/** Healthy with no message encodes as the empty reply the spec expects; anything else as a map. */
export const encodeHealthResponse = (r: HealthResponse): Uint8Array =>
  r.healthy && r.message === "" ? new Uint8Array(0) : encode({ healthy: r.healthy, message: r.message });

export function decodeHealthResponse(payload: Uint8Array): HealthResponse {
  const what = "health reply";
  if (payload.length === 0) return { healthy: true, message: "" };
  const value = decodeFirst(payload, what);
  // Rust actors returning `()` send MessagePack nil; SDKs that encode an empty struct send `{}`.
  if (value === null || value === undefined) return { healthy: true, message: "" };
  const m = asMap(value, what);
  if (Object.keys(m).length === 0) return { healthy: true, message: "" };
  // Any other reply is not the healthy one: refuse it rather than guess.
  if (typeof m.healthy !== "boolean") throw new WactorError("WACTOR_ERR_BAD_PAYLOAD", `${what}: expected an empty reply or a map with a boolean 'healthy'`);
  return { healthy: m.healthy, message: str(m, "message", what, "") };
}

/** The empty map that acknowledges an operation with no result. */
export const EMPTY_REPLY = encode({});
