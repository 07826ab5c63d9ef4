/**
 * waPC guests written in the WebAssembly text format and assembled with Binaryen (a
 * dependency already), for runtime behaviour no AssemblyScript guest shows.
 */
import binaryen from "binaryen";

const WAPC_IMPORTS = `
 (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
 (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
 (import "wapc" "__guest_error" (func $guest_error (param i32 i32)))
 (import "wapc" "__host_call" (func $host_call (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
 (import "wapc" "__host_response_len" (func $host_response_len (result i32)))
 (import "wapc" "__host_response" (func $host_response (param i32)))`;

export function assemble(text: string): Uint8Array {
  const module = binaryen.parseText(text);
  try {
    module.setFeatures(binaryen.Features.All);
    if (!module.validate()) throw new Error("the fixture does not validate");
    return module.emitBinary();
  } finally {
    module.dispose();
  }
}

/**
 * Allocates like Rust's dlmalloc on wasm32: every chunk comes from `memory.grow`, addressed
 * from the size it returned. Fills 256 KiB, calls wascc:logging WriteLog (suspends), takes
 * and fills another 256 KiB, calls again, then checks both fills and answers the last reply.
 */
export function dlmallocStyleGuest(): Uint8Array {
  return assemble(`(module${WAPC_IMPORTS}
 (memory (export "memory") 2)
 (data (i32.const 16) "wascc:logging")
 (data (i32.const 32) "WriteLog")
 (data (i32.const 48) "overwritten")
 (func $sbrk (param $pages i32) (result i32)
  (local $old i32)
  (local.set $old (memory.grow (local.get $pages)))
  (if (i32.eq (local.get $old) (i32.const -1)) (then (unreachable)))
  (i32.mul (local.get $old) (i32.const 65536)))
 (func $intact (param $at i32) (param $value i32) (result i32)
  (local $i i32)
  (loop $next
   (if (i32.ne (i32.load8_u (i32.add (local.get $at) (local.get $i))) (local.get $value)) (then (return (i32.const 0))))
   (local.set $i (i32.add (local.get $i) (i32.const 4093)))
   (br_if $next (i32.lt_u (local.get $i) (i32.const 262144))))
  (i32.const 1))
 (func $call (param $msg i32) (param $len i32)
  (drop (call $host_call (i32.const 0) (i32.const 0) (i32.const 16) (i32.const 13) (i32.const 32) (i32.const 8) (local.get $msg) (local.get $len))))
 (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
  (local $msg i32) (local $a i32) (local $b i32) (local $reply i32)
  (local.set $msg (call $sbrk (i32.const 1)))
  (call $guest_request (i32.add (local.get $msg) (i32.const 32768)) (local.get $msg))
  (local.set $a (call $sbrk (i32.const 4)))
  (memory.fill (local.get $a) (i32.const 7) (i32.const 262144))
  (call $call (local.get $msg) (local.get $msg_len))
  (local.set $b (call $sbrk (i32.const 4)))
  (memory.fill (local.get $b) (i32.const 9) (i32.const 262144))
  (call $call (local.get $msg) (local.get $msg_len))
  (if (i32.eqz (i32.and (call $intact (local.get $a) (i32.const 7)) (call $intact (local.get $b) (i32.const 9))))
   (then (call $guest_error (i32.const 48) (i32.const 11)) (return (i32.const 0))))
  (local.set $reply (call $sbrk (i32.const 1)))
  (call $host_response (local.get $reply))
  (call $guest_response (local.get $reply) (call $host_response_len))
  (i32.const 1)))`);
}

/**
 * A guest the metering transform refuses: it already exports a name asyncify must add. It
 * answers every operation with "plain".
 */
export function unmeterableGuest(): Uint8Array {
  return assemble(`(module${WAPC_IMPORTS}
 (memory (export "memory") 1)
 (data (i32.const 16) "plain")
 (func (export "asyncify_get_state") (result i32) (i32.const 0))
 (func (export "__guest_call") (param i32 i32) (result i32)
  (call $guest_response (i32.const 16) (i32.const 5))
  (i32.const 1)))`);
}
