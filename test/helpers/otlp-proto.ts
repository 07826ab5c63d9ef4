/**
 * Decodes an OTLP ExportTraceServiceRequest in protobuf, the fields the tests read only
 * (opentelemetry-proto trace/v1 and common/v1 field numbers). A plain wire-format reader:
 * the exporter's own dependency tree has a serializer but no decoder.
 */
import type { AttributeValue, ReceivedSpan } from "./otlp-receiver.js";

type Field = { no: number; wire: number; value: bigint | Uint8Array };

function varint(bytes: Uint8Array, at: { i: number }): bigint {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    const b = bytes[at.i++]!;
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return result;
    shift += 7n;
  }
}

function fields(bytes: Uint8Array): Field[] {
  const out: Field[] = [];
  const at = { i: 0 };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  while (at.i < bytes.length) {
    const key = Number(varint(bytes, at));
    const no = key >>> 3;
    const wire = key & 7;
    if (wire === 0) out.push({ no, wire, value: varint(bytes, at) });
    else if (wire === 1) {
      out.push({ no, wire, value: view.getBigUint64(at.i, true) });
      at.i += 8;
    } else if (wire === 2) {
      const length = Number(varint(bytes, at));
      out.push({ no, wire, value: bytes.subarray(at.i, at.i + length) });
      at.i += length;
    } else if (wire === 5) {
      out.push({ no, wire, value: BigInt(view.getUint32(at.i, true)) });
      at.i += 4;
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
  return out;
}

const utf8 = new TextDecoder();
const bytesOf = (f: Field | undefined): Uint8Array => (f?.value instanceof Uint8Array ? f.value : new Uint8Array(0));
const str = (f: Field | undefined): string => utf8.decode(bytesOf(f));
const hex = (f: Field | undefined): string => Buffer.from(bytesOf(f)).toString("hex");
const num = (f: Field | undefined): number => (typeof f?.value === "bigint" ? Number(f.value) : 0);
const one = (list: Field[], no: number): Field | undefined => list.find((f) => f.no === no);
const all = (list: Field[], no: number): Field[] => list.filter((f) => f.no === no);

/** AnyValue: 1 string, 2 bool, 3 int, 4 double. */
function anyValue(bytes: Uint8Array): AttributeValue {
  const f = fields(bytes)[0];
  if (!f) return "";
  if (f.no === 1) return str(f);
  if (f.no === 2) return f.value === 1n;
  if (f.no === 3) return Number(BigInt.asIntN(64, f.value as bigint));
  if (f.no === 4) {
    const view = new DataView(new ArrayBuffer(8));
    view.setBigUint64(0, f.value as bigint, true);
    return view.getFloat64(0, true);
  }
  return "";
}

/** KeyValue: 1 key, 2 value. */
function attributes(list: Field[]): Record<string, AttributeValue> {
  return Object.fromEntries(list.map((f) => fields(bytesOf(f))).map((kv) => [str(one(kv, 1)), anyValue(bytesOf(one(kv, 2)))]));
}

/** Span: 1 trace_id, 2 span_id, 4 parent_span_id, 5 name, 6 kind, 9 attributes, 11 events, 15 status. */
function span(bytes: Uint8Array, service: string): ReceivedSpan {
  const s = fields(bytes);
  const status = fields(bytesOf(one(s, 15)));
  return {
    traceId: hex(one(s, 1)),
    spanId: hex(one(s, 2)),
    parentSpanId: hex(one(s, 4)),
    name: str(one(s, 5)),
    kind: num(one(s, 6)),
    attributes: attributes(all(s, 9)),
    status: { code: num(one(status, 3)), message: str(one(status, 2)) },
    events: all(s, 11).map((e) => str(one(fields(bytesOf(e)), 2))),
    service,
  };
}

/** ExportTraceServiceRequest: 1 resource_spans { 1 resource { 1 attributes }, 2 scope_spans { 2 spans } }. */
export function decodeTraceRequest(body: Uint8Array): ReceivedSpan[] {
  return all(fields(body), 1).flatMap((rs) => {
    const r = fields(bytesOf(rs));
    const service = String(attributes(all(fields(bytesOf(one(r, 1))), 1))["service.name"] ?? "");
    return all(r, 2).flatMap((ss) => all(fields(bytesOf(ss)), 2).map((sp) => span(bytesOf(sp), service)));
  });
}
