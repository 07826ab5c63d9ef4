/**
 * Posting a typed array to a worker clones its whole buffer, not only the bytes it views:
 * a payload that is a view (of a shared slab, src/codec/job-wire.ts, or of a larger decoded
 * message) is copied to bytes of its own first, so only its own bytes cross the thread.
 */
export function ownBuffer(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
}
