;; Hostile: a huge result. Input "oob" reports a result of 2 GiB - 1 bytes, far past the end of
;; its memory (the host must fail the job, not read what is not there); any other input grows
;; the memory by 32 MiB and reports all of it (about 32 MiB the host must carry without
;; stalling anyone else).
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
    (if (i32.and
          (i32.eq (local.get $size) (i32.const 3))
          (i32.eq (i32.and (i32.load (local.get $ptr)) (i32.const 0xffffff)) (i32.const 0x626f6f))) ;; "oob"
      (then
        (call $return_result (i32.const 0) (i32.const 0x7fffffff) (local.get $ident))
        (return)))
    (if (i32.eq (memory.grow (i32.const 512)) (i32.const -1)) (then unreachable))
    (call $return_result (i32.const 0) (i32.shl (memory.size) (i32.const 16)) (local.get $ident)))
)
