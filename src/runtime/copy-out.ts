/**
 * A copy of guest memory `[ptr, ptr + len)` for the host to keep, clamped as `slice` clamps.
 * Not `slice` itself: each slice makes an ArrayBuffer of its own, whose backing store lives
 * outside the heap and is freed by the collector; for the Rust echo's ~200-byte reply that
 * cost 0.85 µs a request in process (docs/runtime.md, "Fuel on back edges, and copies out of
 * guest memory"). Node's Buffer pool hands out small sizes as views of a shared 8 KiB slab.
 * The copy is returned as a plain Uint8Array over it: Buffer's own `slice` makes a view, not a
 * copy, and code that copies a payload before keeping it (ownBuffer, request fields) must get
 * a copy.
 */
export function copyOut(memory: Uint8Array, ptr: number, len: number): Uint8Array {
  const bytes = memory.subarray(ptr, ptr + len);
  const pooled = Buffer.allocUnsafe(bytes.length);
  pooled.set(bytes);
  return new Uint8Array(pooled.buffer, pooled.byteOffset, bytes.length);
}
