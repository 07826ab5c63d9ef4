// The `wascc:eventstreams` client (waSCC's eventstreams contract): append an event, query a
// stream by time range, and `DeliverEvent` payloads (decode: StreamEvent).
import { Reader, Writer } from "./msgpack";
import { hostCall, Result } from "./wapc";

export const EVENTSTREAMS = "wascc:eventstreams";

export class StreamEvent {
  eventId: string = "";
  stream: string = "";
  values: Map<string, string> = new Map<string, string>();

  static read(r: Reader): StreamEvent {
    const e = new StreamEvent();
    const n = r.mapHeader();
    for (let i = 0; i < n && r.ok; i++) {
      const key = r.string();
      if (key == "eventId") e.eventId = r.string();
      else if (key == "stream") e.stream = r.string();
      else if (key == "values") e.values = r.stringMap();
      else r.skip();
    }
    return e;
  }

  /** A `DeliverEvent` payload. */
  static decode(payload: ArrayBuffer): StreamEvent {
    return StreamEvent.read(new Reader(Uint8Array.wrap(payload)));
  }

  /** The events of a QueryStream reply, oldest first. */
  static decodeResults(data: ArrayBuffer): StreamEvent[] {
    const out = new Array<StreamEvent>();
    const r = new Reader(Uint8Array.wrap(data));
    const n = r.mapHeader();
    for (let i = 0; i < n && r.ok; i++) {
      if (r.string() != "events") { r.skip(); continue; }
      const count = r.arrayHeader();
      for (let j = 0; j < count && r.ok; j++) out.push(StreamEvent.read(r));
    }
    return out;
  }
}

export class EventStreams {
  constructor(public binding: string = "") {}

  /** Appends an event (at least one value); the reply's id reads with EventStreams.eventId. */
  writeEvent(stream: string, values: Map<string, string>): Result {
    const w = new Writer().mapHeader(3);
    w.string("eventId").string("");
    w.string("stream").string(stream);
    w.string("values").stringMap(values);
    return hostCall(this.binding, EVENTSTREAMS, "WriteEvent", w.toBuffer());
  }

  static eventId(result: Result): string {
    const r = new Reader(Uint8Array.wrap(result.data));
    const n = r.mapHeader();
    for (let i = 0; i < n && r.ok; i++) {
      if (r.string() == "eventId") return r.string();
      r.skip();
    }
    return "";
  }

  /**
   * At most `count` events (0: all) of `streamId`; with `ranged`, only those written from
   * `minTime` to `maxTime` (epoch ms, inclusive). The reply decodes with StreamEvent.decodeResults.
   */
  queryStream(streamId: string, count: u64, ranged: bool = false, minTime: u64 = 0, maxTime: u64 = 0): Result {
    const w = new Writer().mapHeader(ranged ? 3 : 2);
    w.string("streamId").string(streamId);
    if (ranged) {
      w.string("range").mapHeader(2);
      w.string("minTime").int(<i64>minTime);
      w.string("maxTime").int(<i64>maxTime);
    }
    w.string("count").int(<i64>count);
    return hostCall(this.binding, EVENTSTREAMS, "QueryStream", w.toBuffer());
  }
}
