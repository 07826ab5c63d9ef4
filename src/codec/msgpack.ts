/**
 * MessagePack framing for waPC payloads (docs/wascc-protocol.md §2): decode the FIRST object and
 * ignore what follows (the AssemblyScript SDK appends a byte), with limits that turn hostile
 * input (deep nesting, huge lengths) into WACTOR_ERR_BAD_PAYLOAD instead of a crash.
 */
import { Decoder, Encoder } from "@msgpack/msgpack";
import { WactorError } from "../errors.js";

const MAX = 64 * 1024 * 1024;
const encoder = new Encoder({ ignoreUndefined: true });
const decoder = new Decoder({
  maxStrLength: MAX,
  maxBinLength: MAX,
  maxArrayLength: 1_000_000,
  maxMapLength: 1_000_000,
  maxExtLength: MAX,
  useBigInt64: false,
});
const MAX_DEPTH = 64;

export function encode(value: unknown): Uint8Array {
  return encoder.encode(value);
}

function depthOf(value: unknown, depth = 0): number {
  if (depth > MAX_DEPTH) return depth;
  if (Array.isArray(value)) return value.reduce<number>((max, v) => Math.max(max, depthOf(v, depth + 1)), depth + 1);
  if (value && typeof value === "object" && !(value instanceof Uint8Array)) {
    return Object.values(value).reduce<number>((max, v) => Math.max(max, depthOf(v, depth + 1)), depth + 1);
  }
  return depth;
}

/** Decodes the first MessagePack object in `bytes`; trailing bytes are ignored. */
export function decodeFirst(bytes: Uint8Array, what = "payload"): unknown {
  if (bytes.length === 0) throw new WactorError("WACTOR_ERR_BAD_PAYLOAD", `${what}: empty`);
  let value: unknown;
  try {
    // decodeMulti yields objects one at a time: take the first, never look at the rest.
    for (const first of decoder.decodeMulti(bytes)) {
      value = first;
      break;
    }
  } catch (err) {
    throw new WactorError("WACTOR_ERR_BAD_PAYLOAD", `${what}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (depthOf(value) > MAX_DEPTH) throw new WactorError("WACTOR_ERR_BAD_PAYLOAD", `${what}: nested deeper than ${MAX_DEPTH}`);
  return value;
}
