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

/**
 * True when a container sits `MAX_DEPTH` or more levels down (the root is level 0). A plain
 * walk with no arrays or closures made: it runs on every payload decoded.
 */
function tooDeep(value: object, depth: number): boolean {
  if (value instanceof Uint8Array) return false;
  if (depth >= MAX_DEPTH) return true;
  if (Array.isArray(value)) {
    for (const item of value as unknown[]) if (typeof item === "object" && item !== null && tooDeep(item, depth + 1)) return true;
    return false;
  }
  const map = value as Record<string, unknown>;
  for (const key in map) {
    const item = map[key];
    if (typeof item === "object" && item !== null && tooDeep(item, depth + 1)) return true;
  }
  return false;
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
  if (typeof value === "object" && value !== null && tooDeep(value, 0))
    throw new WactorError("WACTOR_ERR_BAD_PAYLOAD", `${what}: nested deeper than ${MAX_DEPTH}`);
  return value;
}
