;; Hostile: run_e grows its memory (declared without a maximum) 1 MiB (16 pages) at a time,
;; writing to every new 64 KiB page so it is really committed, until growing fails; then it traps.
;; The host must bound it with a memory limit and keep serving others.
(module
  (import "env" "return_result" (func $return_result (param i32 i32 i32)))
  (memory (export "memory") 2)

  ;; one job at a time: the input always sits at 64 KiB, memory grown to fit
  (func (export "allocate") (param $size i32) (result i32)
    (if (i32.gt_u (i32.add (i32.const 65536) (local.get $size)) (i32.shl (memory.size) (i32.const 16)))
      (then (drop (memory.grow (i32.add (i32.shr_u (local.get $size) (i32.const 16)) (i32.const 1))))))
    (i32.const 65536))

  (func (export "deallocate") (param $ptr i32) (param $size i32))

  (func (export "run_e") (param $ptr i32) (param $size i32) (param $ident i32)
    (local $page i32) (local $end i32)
    (block $full
      (loop $grow
        (local.set $page (memory.grow (i32.const 16)))
        (br_if $full (i32.eq (local.get $page) (i32.const -1)))
        (local.set $end (i32.add (local.get $page) (i32.const 16)))
        (loop $touch
          (i32.store8 (i32.shl (local.get $page) (i32.const 16)) (i32.const 1))
          (local.set $page (i32.add (local.get $page) (i32.const 1)))
          (br_if $touch (i32.lt_u (local.get $page) (local.get $end))))
        (br $grow)))
    unreachable)
)
