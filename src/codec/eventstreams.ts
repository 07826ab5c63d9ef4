/**
 * `wascc:eventstreams` payloads, as waSCC's codec names them: Event, WriteResponse,
 * StreamQuery (with an optional TimeRange) and StreamResults. Strict decoding: a missing or
 * mistyped field is WACTOR_ERR_BAD_PAYLOAD naming it.
 */
import { WactorError } from "../errors.js";
import { asMap, int, str, stringMap, type WireMap } from "./fields.js";
import { decodeFirst, encode } from "./msgpack.js";

export interface StreamEvent {
  /** The stream's id for the event (Redis `<ms>-<seq>`); ignored by WriteEvent. */
  eventId: string;
  stream: string;
  values: Record<string, string>;
}

export interface TimeRange {
  /** Epoch milliseconds, both inclusive. */
  minTime: number;
  maxTime: number;
}

export interface StreamQuery {
  streamId: string;
  range?: TimeRange | undefined;
  /** Most events to return; 0 for all. */
  count: number;
}

const read = (payload: Uint8Array, what: string): WireMap => asMap(decodeFirst(payload, what), what);

function u64(m: WireMap, field: string, what: string, fallback?: number): number {
  const n = int(m, field, what, fallback);
  if (n < 0) throw new WactorError("WACTOR_ERR_BAD_PAYLOAD", `${what}: field '${field}' must be >= 0, got ${n}`);
  return n;
}

function eventOf(m: WireMap, what: string): StreamEvent {
  return { eventId: str(m, "eventId", what, ""), stream: str(m, "stream", what), values: stringMap(m, "values", what) };
}

export function decodeEvent(payload: Uint8Array, what = "Event"): StreamEvent {
  return eventOf(read(payload, what), what);
}
export const encodeEvent = (e: StreamEvent): Uint8Array => encode({ eventId: e.eventId, stream: e.stream, values: e.values });

export function decodeWriteResponse(payload: Uint8Array): { eventId: string } {
  const what = "WriteResponse";
  return { eventId: str(read(payload, what), "eventId", what) };
}
export const encodeWriteResponse = (r: { eventId: string }): Uint8Array => encode({ eventId: r.eventId });

export function decodeStreamQuery(payload: Uint8Array): StreamQuery {
  const what = "StreamQuery";
  const m = read(payload, what);
  const raw = m.range;
  let range: TimeRange | undefined;
  if (raw !== undefined && raw !== null) {
    const r = asMap(raw, `${what}.range`);
    range = { minTime: u64(r, "minTime", `${what}.range`), maxTime: u64(r, "maxTime", `${what}.range`) };
  }
  return { streamId: str(m, "streamId", what), range, count: u64(m, "count", what, 0) };
}
export const encodeStreamQuery = (q: StreamQuery): Uint8Array =>
  encode({ streamId: q.streamId, ...(q.range && { range: { minTime: q.range.minTime, maxTime: q.range.maxTime } }), count: q.count });

export function decodeStreamResults(payload: Uint8Array): StreamEvent[] {
  const what = "StreamResults";
  const events = read(payload, what).events ?? [];
  if (!Array.isArray(events)) throw new WactorError("WACTOR_ERR_BAD_PAYLOAD", `${what}: field 'events' must be a list`);
  return events.map((e, i) => eventOf(asMap(e, `${what}.events[${i}]`), `${what}.events[${i}]`));
}
export const encodeStreamResults = (events: readonly StreamEvent[]): Uint8Array =>
  encode({ events: events.map((e) => ({ eventId: e.eventId, stream: e.stream, values: e.values })) });
