;; The legacy initializer: no `_start`, no WASI, an exported `init` that must run once before
;; any job (Rust's derive macro and old Swift modules). Answers "hello " + input after `init`;
;; a host that never calls `init` gets RunErr {-1, "No runnable set"}.
(module
  (import "env" "return_result" (func $return_result (param i32 i32 i32)))
  (import "env" "return_error" (func $return_error (param i32 i32 i32 i32)))
  (memory (export "memory") 2)
  (data (i32.const 256) "hello ")
  (data (i32.const 272) "No runnable set")
  (global $ready (mut i32) (i32.const 0))

  (func $copy (param $dst i32) (param $src i32) (param $len i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $len)))
        (i32.store8 (local.get $dst) (i32.load8_u (local.get $src)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 1)))
        (local.set $src (i32.add (local.get $src) (i32.const 1)))
        (local.set $len (i32.sub (local.get $len) (i32.const 1)))
        (br $next))))

  (func (export "init")
    (global.set $ready (i32.const 1)))

  ;; the input always sits at 64 KiB + 8; run_e writes "hello " into the 6 bytes before it
  (func (export "allocate") (param $size i32) (result i32)
    (if (i32.gt_u (i32.add (i32.const 65552) (local.get $size)) (i32.shl (memory.size) (i32.const 16)))
      (then (drop (memory.grow (i32.add (i32.shr_u (local.get $size) (i32.const 16)) (i32.const 1))))))
    (i32.const 65544))

  (func (export "deallocate") (param $ptr i32) (param $size i32))

  (func (export "run_e") (param $ptr i32) (param $size i32) (param $ident i32)
    (if (i32.eqz (global.get $ready))
      (then
        (call $return_error (i32.const -1) (i32.const 272) (i32.const 15) (local.get $ident))
        (return)))
    (call $copy (i32.sub (local.get $ptr) (i32.const 6)) (i32.const 256) (i32.const 6))
    (call $return_result (i32.sub (local.get $ptr) (i32.const 6)) (i32.add (local.get $size) (i32.const 6)) (local.get $ident)))
)
