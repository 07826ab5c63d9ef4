// Event streams example, the writing side:
//   Write {stream, n}      -> {eventId}: appends an event whose one value is n
//   Query {stream, count}  -> the QueryStream reply (StreamResults)
import { EventStreams, Reader, register, Result, Writer } from "../sdk";
export { __guest_call } from "../sdk";

function field(payload: ArrayBuffer, name: string): string {
  const r = new Reader(Uint8Array.wrap(payload));
  const n = r.mapHeader();
  for (let i = 0; i < n && r.ok; i++) {
    if (r.string() == name) return r.string();
    r.skip();
  }
  return "";
}

register("Write", (payload: ArrayBuffer): Result => {
  const values = new Map<string, string>();
  values.set("n", field(payload, "n"));
  const written = new EventStreams().writeEvent(field(payload, "stream"), values);
  if (!written.ok) return Result.failure(written.error);
  const w = new Writer().mapHeader(1);
  w.string("eventId").string(EventStreams.eventId(written));
  return Result.success(w.toBuffer());
});

register("Query", (payload: ArrayBuffer): Result => {
  const count = I64.parseInt(field(payload, "count"));
  return new EventStreams().queryStream(field(payload, "stream"), <u64>count);
});
