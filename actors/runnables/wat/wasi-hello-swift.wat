;; The shape of a Swift runnable: it imports only the `*_swift` names of the host API (each with
;; two trailing i32s the host ignores) and sets its runnable from top-level code run by `_start`.
;; Answers "hello " + input; without `_start`, RunErr {-1, "No runnable set"}.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "env" "return_result_swift" (func $return_result (param i32 i32 i32 i32 i32)))
  (import "env" "return_error_swift" (func $return_error (param i32 i32 i32 i32 i32 i32)))
  (memory (export "memory") 2)
  (data (i32.const 256) "hello ")
  (data (i32.const 272) "No runnable set")
  (data (i32.const 288) "swift started\n")
  (global $heapBase i32 (i32.const 65536))
  (global $heap (mut i32) (i32.const 65536))
  (global $ready (mut i32) (i32.const 0))

  (func $alloc (param $size i32) (result i32)
    (local $ptr i32) (local $end i32)
    (local.set $ptr (global.get $heap))
    (local.set $end (i32.and (i32.add (i32.add (local.get $ptr) (local.get $size)) (i32.const 7)) (i32.const -8)))
    (if (i32.gt_u (local.get $end) (i32.shl (memory.size) (i32.const 16)))
      (then
        (if (i32.eq (memory.grow (i32.add (i32.shr_u (i32.sub (local.get $end) (i32.shl (memory.size) (i32.const 16))) (i32.const 16)) (i32.const 1))) (i32.const -1))
          (then unreachable))))
    (global.set $heap (local.get $end))
    (local.get $ptr))

  (func $copy (param $dst i32) (param $src i32) (param $len i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $len)))
        (i32.store8 (local.get $dst) (i32.load8_u (local.get $src)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 1)))
        (local.set $src (i32.add (local.get $src) (i32.const 1)))
        (local.set $len (i32.sub (local.get $len) (i32.const 1)))
        (br $next))))

  (func (export "_start")
    (i32.store (i32.const 16) (i32.const 288))
    (i32.store (i32.const 20) (i32.const 14))
    (drop (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24)))
    (global.set $ready (i32.const 1)))

  (func (export "allocate") (param $size i32) (result i32)
    (call $alloc (local.get $size)))

  (func (export "deallocate") (param $ptr i32) (param $size i32)
    (global.set $heap (global.get $heapBase)))

  (func (export "run_e") (param $ptr i32) (param $size i32) (param $ident i32)
    (local $out i32)
    (if (i32.eqz (global.get $ready))
      (then
        (call $return_error (i32.const -1) (i32.const 272) (i32.const 15) (local.get $ident) (i32.const 0) (i32.const 0))
        (return)))
    (local.set $out (call $alloc (i32.add (local.get $size) (i32.const 6))))
    (call $copy (local.get $out) (i32.const 256) (i32.const 6))
    (call $copy (i32.add (local.get $out) (i32.const 6)) (local.get $ptr) (local.get $size))
    (call $return_result (local.get $out) (i32.add (local.get $size) (i32.const 6)) (local.get $ident) (i32.const 0) (i32.const 0)))
)
