;; The shape of a Rust (wasm32-wasi) runnable, by hand: WASI imports, a `_start` that must run
;; first, and libc's habit of calling environ_sizes_get on every export call (proc_exit(71) if it
;; fails). The job answers "hello " + input, but only after `_start`: a host that skips it gets
;; RunErr {-1, "No runnable set"}, as a real Rust module would give.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (import "env" "return_result" (func $return_result (param i32 i32 i32)))
  (import "env" "return_error" (func $return_error (param i32 i32 i32 i32)))
  (memory (export "memory") 2)
  ;; scratch (0..255) and constants below 1 KiB; job buffers from 64 KiB up
  (data (i32.const 256) "hello ")
  (data (i32.const 272) "No runnable set")
  (data (i32.const 288) "wasi-hello started\n")
  (global $heapBase i32 (i32.const 65536))
  (global $heap (mut i32) (i32.const 65536))
  (global $ready (mut i32) (i32.const 0))

  (func $libc_ctor
    (if (call $environ_sizes_get (i32.const 0) (i32.const 4))
      (then (call $proc_exit (i32.const 71)))))

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
    (call $libc_ctor)
    ;; what TinyGo's and Grain's runtimes do while starting: read the clock, seed from random_get,
    ;; print a line to stdout (iovec at 16: ptr, len; bytes written at 24)
    (drop (call $clock_time_get (i32.const 0) (i64.const 1000) (i32.const 8)))
    (drop (call $random_get (i32.const 32) (i32.const 16)))
    (i32.store (i32.const 16) (i32.const 288))
    (i32.store (i32.const 20) (i32.const 19))
    (drop (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24)))
    (global.set $ready (i32.const 1)))

  (func (export "allocate") (param $size i32) (result i32)
    (call $libc_ctor)
    (call $alloc (local.get $size)))

  ;; one job at a time: freeing the input frees the whole job's heap
  (func (export "deallocate") (param $ptr i32) (param $size i32)
    (call $libc_ctor)
    (global.set $heap (global.get $heapBase)))

  (func (export "run_e") (param $ptr i32) (param $size i32) (param $ident i32)
    (local $out i32)
    (call $libc_ctor)
    (if (i32.eqz (global.get $ready))
      (then
        (call $return_error (i32.const -1) (i32.const 272) (i32.const 15) (local.get $ident))
        (return)))
    (local.set $out (call $alloc (i32.add (local.get $size) (i32.const 6))))
    (call $copy (local.get $out) (i32.const 256) (i32.const 6))
    (call $copy (i32.add (local.get $out) (i32.const 6)) (local.get $ptr) (local.get $size))
    (call $return_result (local.get $out) (i32.add (local.get $size) (i32.const 6)) (local.get $ident)))
)
