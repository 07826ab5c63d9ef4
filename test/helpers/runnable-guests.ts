/**
 * Reactr runnables written in the WebAssembly text format (assembled with Binaryen, as in
 * wat-guests.ts), each with the smallest allocator that works: a bump pointer, `deallocate`
 * counting its calls. They exercise the ABI the way Rust, TinyGo, Grain and Swift guests do.
 */
import { KeyPair } from "../../src/claims/nkeys.js";
import { signModule } from "../../src/claims/sign.js";
import { testAccount } from "./raw-guest.js";
import { assemble } from "./wat-guests.js";

/** Imports by name with their parameter count (all i32) and whether they return an i32. */
export const ENV: Readonly<Record<string, [params: number, returns: boolean]>> = {
  return_result: [3, false],
  return_error: [4, false],
  return_abort: [7, false],
  get_ffi_result: [2, true],
  add_ffi_var: [5, true],
  request_get_field: [4, true],
  request_set_field: [6, true],
  resp_set_header: [5, false],
  fetch_url: [6, true],
  graphql_query: [5, true],
  cache_set: [6, true],
  cache_get: [3, true],
  log_msg: [4, false],
  get_static_file: [3, true],
  db_exec: [4, true],
};

/** `swift`: import the `_swift` twins (two extra trailing i32s), called through same-named wrappers. */
function envImports(names: string[], swift: boolean): string {
  const imports: string[] = [];
  const wrappers: string[] = [];
  for (const name of names) {
    const [params, result] = ENV[name]!;
    const sig = `(param${" i32".repeat(params)})${result ? " (result i32)" : ""}`;
    if (!swift) {
      imports.push(` (import "env" "${name}" (func $${name} ${sig}))`);
      continue;
    }
    const args = Array.from({ length: params }, (_, i) => `(local.get ${i})`).join(" ");
    imports.push(` (import "env" "${name}_swift" (func $${name}_twin (param${" i32".repeat(params + 2)})${result ? " (result i32)" : ""}))`);
    wrappers.push(` (func $${name} ${sig} (call $${name}_twin ${args} (i32.const 7) (i32.const 9)))`);
  }
  // The text format wants every import before any function.
  return [...imports, ...wrappers].join("\n");
}

/** Memory, a bump allocator from 64 KiB up, and `deallocate` counting its calls (global $freed). */
const ALLOCATOR = `
 (memory (export "memory") 2)
 (global $next (mut i32) (i32.const 65536))
 (global $freed (mut i32) (i32.const 0))
 (func (export "allocate") (param $size i32) (result i32)
  (local $at i32)
  (local.set $at (global.get $next))
  (global.set $next (i32.add (global.get $next) (i32.and (i32.add (local.get $size) (i32.const 15)) (i32.const -16))))
  (if (i32.gt_u (global.get $next) (i32.mul (memory.size) (i32.const 65536)))
   (then (if (i32.eq (memory.grow (i32.add (i32.div_u (i32.sub (global.get $next) (i32.mul (memory.size) (i32.const 65536))) (i32.const 65536)) (i32.const 1))) (i32.const -1)) (then (unreachable)))))
  (local.get $at))
 (func (export "deallocate") (param i32 i32) (global.set $freed (i32.add (global.get $freed) (i32.const 1))))`;

/** (a) run_e answers its input. */
export function echoRunnable(options: { swift?: boolean } = {}): Uint8Array {
  return assemble(`(module
${envImports(["return_result"], options.swift ?? false)}
${ALLOCATOR}
 (func (export "run_e") (param $ptr i32) (param $len i32) (param $ident i32)
  (call $return_result (local.get $ptr) (local.get $len) (local.get $ident))))`);
}

/**
 * (b) The Rust/TinyGo/Grain shape: WASI imports, and a `_start` that must run once before any
 * job. `_start` writes "runnable started" to fd 1 and counts its runs; run_e calls
 * environ_sizes_get (as Rust's command exports do) and answers "<runs of _start><deallocations>"
 * as two digits; an input of "exit" calls proc_exit(3).
 */
export function wasiStartRunnable(): Uint8Array {
  return assemble(`(module
 (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
 (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
 (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
 (import "wasi_snapshot_preview1" "path_open" (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
${envImports(["return_result", "return_error"], false)}
${ALLOCATOR}
 (global $started (mut i32) (i32.const 0))
 (data (i32.const 16) "runnable started\\n")
 (data (i32.const 48) "not started")
 (func (export "_start")
  (global.set $started (i32.add (global.get $started) (i32.const 1)))
  (i32.store (i32.const 0) (i32.const 16))
  (i32.store (i32.const 4) (i32.const 17))
  (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
 (func (export "run_e") (param $ptr i32) (param $len i32) (param $ident i32)
  (if (i32.eqz (global.get $started)) (then (call $return_error (i32.const 500) (i32.const 48) (i32.const 11) (local.get $ident)) (return)))
  (if (call $environ_sizes_get (i32.const 0) (i32.const 4)) (then (unreachable)))
  ;; a file is out of reach: ENOSYS (52) from path_open
  (if (i32.ne (call $path_open (i32.const 3) (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 0) (i64.const 0) (i64.const 0) (i32.const 0) (i32.const 0)) (i32.const 52)) (then (unreachable)))
  (if (i32.and (i32.eq (local.get $len) (i32.const 4)) (i32.eq (i32.load (local.get $ptr)) (i32.const 0x74697865))) (then (call $proc_exit (i32.const 3))))
  (i32.store8 (i32.const 40) (i32.add (i32.const 48) (global.get $started)))
  (i32.store8 (i32.const 41) (i32.add (i32.const 48) (global.get $freed)))
  (call $return_result (i32.const 40) (i32.const 2) (local.get $ident))))`);
}

/** (c) A `_start` that traps. */
export function startTrapRunnable(): Uint8Array {
  return assemble(`(module
${envImports(["return_result"], false)}
${ALLOCATOR}
 (func (export "_start") (unreachable))
 (func (export "run_e") (param i32 i32 i32)))`);
}

/**
 * Misbehaving jobs, chosen by the input's first byte: 'n' never reports an outcome (d); 'l'
 * loops forever (e); 'm' grows memory until it cannot, then traps (f); 'h' + a digit N answers
 * N MiB of 'x' from fresh pages (g); 'e' reports an error and then traps; 'a' calls return_abort
 * and then traps, as an AssemblyScript abort does; 'r' reports a result, then an error (the first wins);
 * anything else answers its input.
 */
export function hostileRunnable(): Uint8Array {
  return assemble(`(module
${envImports(["return_result", "return_error", "return_abort"], false)}
${ALLOCATOR}
 (data (i32.const 16) "job failed")
 (data (i32.const 32) "bad thing")
 (data (i32.const 48) "index.ts")
 (func (export "run_e") (param $ptr i32) (param $len i32) (param $ident i32)
  (local $op i32) (local $mib i32) (local $at i32)
  (local.set $op (i32.load8_u (local.get $ptr)))
  (if (i32.eq (local.get $op) (i32.const 0x6e)) (then (return)))
  (if (i32.eq (local.get $op) (i32.const 0x6c)) (then (loop $forever (br $forever))))
  (if (i32.eq (local.get $op) (i32.const 0x6d))
   (then (loop $more (br_if $more (i32.ne (memory.grow (i32.const 16)) (i32.const -1)))) (unreachable)))
  (if (i32.eq (local.get $op) (i32.const 0x68))
   (then
    (local.set $mib (i32.sub (i32.load8_u (i32.add (local.get $ptr) (i32.const 1))) (i32.const 48)))
    (local.set $at (i32.mul (memory.grow (i32.mul (local.get $mib) (i32.const 16))) (i32.const 65536)))
    (if (i32.lt_s (local.get $at) (i32.const 0)) (then (unreachable)))
    (memory.fill (local.get $at) (i32.const 120) (i32.mul (local.get $mib) (i32.const 1048576)))
    (call $return_result (local.get $at) (i32.mul (local.get $mib) (i32.const 1048576)) (local.get $ident))
    (return)))
  (if (i32.eq (local.get $op) (i32.const 0x65))
   (then (call $return_error (i32.const 400) (i32.const 16) (i32.const 10) (local.get $ident)) (unreachable)))
  (if (i32.eq (local.get $op) (i32.const 0x61))
   (then (call $return_abort (i32.const 32) (i32.const 9) (i32.const 48) (i32.const 8) (i32.const 12) (i32.const 5) (local.get $ident)) (unreachable)))
  (if (i32.eq (local.get $op) (i32.const 0x72))
   (then
    (call $return_result (local.get $ptr) (local.get $len) (local.get $ident))
    (call $return_error (i32.const 400) (i32.const 16) (i32.const 10) (local.get $ident))
    (return)))
  (call $return_result (local.get $ptr) (local.get $len) (local.get $ident))))`);
}

/**
 * Capability imports, chosen by the input's first byte; the rest of the input is the argument.
 * Data-returning calls answer through $deliver: -1 → return_error(599, "unknown"), a negative
 * size → return_error(400, <message>), else return_result(<data>).
 * 'g' cache_get(rest) · 's' cache_set("k", rest, ttl 1) → "0" or return_error(<rc>) ·
 * 'f' fetch_url(GET, rest) · 'p' fetch_url(POST, rest, body "hi") · 'M' + a digit: fetch_url(that
 * method code, rest) answered as return_error(<its return value>) ·
 * 'q' graphql_query(rest, "{ x }") · 'l' log_msg(rest, 2) → "logged" · 'S' get_static_file(rest) ·
 * 'd' add_ffi_var + db_exec · 'P' cache_get twice without reading (the "P" rule) ·
 * 'i' cache_get with a wrong ident · 'R' request_get_field in plain mode.
 */
export function capabilityRunnable(options: { swift?: boolean } = {}): Uint8Array {
  return assemble(`(module
${envImports(["return_result", "return_error", "get_ffi_result", "add_ffi_var", "request_get_field", "fetch_url", "graphql_query", "cache_set", "cache_get", "log_msg", "get_static_file", "db_exec"], options.swift ?? false)}
${ALLOCATOR}
 (data (i32.const 16) "unknown")
 (data (i32.const 32) "k")
 (data (i32.const 40) "logged")
 (data (i32.const 48) "{ x }")
 (data (i32.const 56) "hi")
 (data (i32.const 64) "0")
 (global $buffer (mut i32) (i32.const 0))
 (func $deliver (param $size i32) (param $ident i32)
  (local $n i32)
  (if (i32.eq (local.get $size) (i32.const -1)) (then (call $return_error (i32.const 599) (i32.const 16) (i32.const 7) (local.get $ident)) (return)))
  (local.set $n (select (i32.sub (i32.const 0) (local.get $size)) (local.get $size) (i32.lt_s (local.get $size) (i32.const 0))))
  (global.set $buffer (call $alloc (local.get $n)))
  (if (call $get_ffi_result (global.get $buffer) (local.get $ident)) (then (unreachable)))
  (if (i32.lt_s (local.get $size) (i32.const 0))
   (then (call $return_error (i32.const 400) (global.get $buffer) (local.get $n) (local.get $ident)))
   (else (call $return_result (global.get $buffer) (local.get $n) (local.get $ident)))))
 (func $alloc (param $n i32) (result i32)
  (local $at i32)
  (local.set $at (global.get $next))
  (global.set $next (i32.add (global.get $next) (i32.and (i32.add (local.get $n) (i32.const 15)) (i32.const -16))))
  (if (i32.gt_u (global.get $next) (i32.mul (memory.size) (i32.const 65536)))
   (then (drop (memory.grow (i32.add (i32.div_u (local.get $n) (i32.const 65536)) (i32.const 1))))))
  (local.get $at))
 (func (export "run_e") (param $ptr i32) (param $len i32) (param $ident i32)
  (local $op i32) (local $arg i32) (local $n i32) (local $rc i32)
  (local.set $op (i32.load8_u (local.get $ptr)))
  (local.set $arg (i32.add (local.get $ptr) (i32.const 1)))
  (local.set $n (i32.sub (local.get $len) (i32.const 1)))
  (if (i32.eq (local.get $op) (i32.const 0x67)) (then (call $deliver (call $cache_get (local.get $arg) (local.get $n) (local.get $ident)) (local.get $ident)) (return)))
  (if (i32.eq (local.get $op) (i32.const 0x73))
   (then
    (local.set $rc (call $cache_set (i32.const 32) (i32.const 1) (local.get $arg) (local.get $n) (i32.const 1) (local.get $ident)))
    (if (local.get $rc) (then (call $return_error (local.get $rc) (i32.const 16) (i32.const 7) (local.get $ident))) (else (call $return_result (i32.const 64) (i32.const 1) (local.get $ident))))
    (return)))
  (if (i32.eq (local.get $op) (i32.const 0x66)) (then (call $deliver (call $fetch_url (i32.const 0) (local.get $arg) (local.get $n) (i32.const 0) (i32.const 0) (local.get $ident)) (local.get $ident)) (return)))
  (if (i32.eq (local.get $op) (i32.const 0x70)) (then (call $deliver (call $fetch_url (i32.const 3) (local.get $arg) (local.get $n) (i32.const 56) (i32.const 2) (local.get $ident)) (local.get $ident)) (return)))
  (if (i32.eq (local.get $op) (i32.const 0x4d))
   (then (call $return_error (call $fetch_url (i32.sub (i32.load8_u (local.get $arg)) (i32.const 48)) (i32.add (local.get $arg) (i32.const 1)) (i32.sub (local.get $n) (i32.const 1)) (i32.const 0) (i32.const 0) (local.get $ident)) (i32.const 16) (i32.const 7) (local.get $ident)) (return)))
  (if (i32.eq (local.get $op) (i32.const 0x71)) (then (call $deliver (call $graphql_query (local.get $arg) (local.get $n) (i32.const 48) (i32.const 5) (local.get $ident)) (local.get $ident)) (return)))
  (if (i32.eq (local.get $op) (i32.const 0x6c))
   (then (call $log_msg (local.get $arg) (local.get $n) (i32.const 2) (local.get $ident)) (call $return_result (i32.const 40) (i32.const 6) (local.get $ident)) (return)))
  (if (i32.eq (local.get $op) (i32.const 0x53)) (then (call $deliver (call $get_static_file (local.get $arg) (local.get $n) (local.get $ident)) (local.get $ident)) (return)))
  (if (i32.eq (local.get $op) (i32.const 0x64))
   (then
    (drop (call $add_ffi_var (i32.const 32) (i32.const 1) (local.get $arg) (local.get $n) (local.get $ident)))
    (call $deliver (call $db_exec (i32.const 1) (i32.const 32) (i32.const 1) (local.get $ident)) (local.get $ident))
    (return)))
  (if (i32.eq (local.get $op) (i32.const 0x50))
   (then
    (drop (call $cache_get (local.get $arg) (local.get $n) (local.get $ident)))
    (call $deliver (call $cache_get (local.get $arg) (local.get $n) (local.get $ident)) (local.get $ident))
    (return)))
  (if (i32.eq (local.get $op) (i32.const 0x69))
   (then (call $deliver (call $cache_get (local.get $arg) (local.get $n) (i32.add (local.get $ident) (i32.const 1))) (local.get $ident)) (return)))
  (if (i32.eq (local.get $op) (i32.const 0x52))
   (then (call $deliver (call $request_get_field (i32.const 0) (i32.const 32) (i32.const 1) (local.get $ident)) (local.get $ident)) (return)))
  (call $return_result (local.get $ptr) (local.get $len) (local.get $ident))))`);
}

/**
 * (j) Request mode: copies request fields into response headers, changes fields and reads them
 * back, and answers the body. Missing (-1) reads as "-1", an error as its message.
 * x-method, x-url, x-id (meta) · x-name (header "X-Name", looked up lower-cased) · x-q (query
 * "q") · x-user (body field "user") · then request_set_field(body "user" = "bob") → x-user2 ·
 * request_set_field(header "X-Added" = "yes") then get header "x-added" → x-added ·
 * x-bad (field type 9) · x-seterr (set on query: an error) · x-state (state "s") · x-param (params "p").
 * A body field "fail" makes it return_error(418, <its value>) after all that.
 */
export function requestRunnable(): Uint8Array {
  const strings: Array<[string, number]> = [];
  let at = 16;
  const str = (text: string): [number, number] => {
    const found = strings.find(([t]) => t === text);
    if (found) return [found[1], text.length];
    strings.push([text, at]);
    const ptr = at;
    at += text.length + 1;
    return [ptr, text.length];
  };
  const copy = (type: number, key: string, header: string): string => {
    const [kp, kl] = str(key);
    const [hp, hl] = str(header);
    return `(call $to_header (call $request_get_field (i32.const ${type}) (i32.const ${kp}) (i32.const ${kl}) (local.get $ident)) (i32.const ${hp}) (i32.const ${hl}) (local.get $ident))`;
  };
  const set = (type: number, key: string, value: string): string => {
    const [kp, kl] = str(key);
    const [vp, vl] = str(value);
    return `(call $request_set_field (i32.const ${type}) (i32.const ${kp}) (i32.const ${kl}) (i32.const ${vp}) (i32.const ${vl}) (local.get $ident))`;
  };
  const [minusOne] = str("-1");
  const [fail, failLength] = str("fail");
  const [seterr, seterrLength] = str("x-seterr");
  const body = [
    copy(0, "method", "x-method"),
    copy(0, "url", "x-url"),
    copy(0, "id", "x-id"),
    copy(2, "X-Name", "x-name"),
    copy(5, "q", "x-q"),
    copy(1, "user", "x-user"),
    `(call $consume ${set(1, "user", "bob")} (local.get $ident))`,
    copy(1, "user", "x-user2"),
    `(call $consume ${set(2, "X-Added", "yes")} (local.get $ident))`,
    copy(2, "x-added", "x-added"),
    copy(9, "user", "x-bad"),
    copy(4, "s", "x-state"),
    copy(3, "p", "x-param"),
    `(call $to_header ${set(5, "q", "v")} (i32.const ${seterr}) (i32.const ${seterrLength}) (local.get $ident))`,
  ].join("\n  ");
  const data = strings.map(([text, ptr]) => ` (data (i32.const ${ptr}) "${text}")`).join("\n");
  return assemble(`(module
${envImports(["return_result", "return_error", "get_ffi_result", "request_get_field", "request_set_field", "resp_set_header"], false)}
${ALLOCATOR}
${data}
 ;; a size-0 success still fills the FFI slot: every answer but -1 is read, as guest libraries do
 (func $consume (param $size i32) (param $ident i32)
  (if (i32.ne (local.get $size) (i32.const -1)) (then (drop (call $get_ffi_result (global.get $next) (local.get $ident))))))
 (func $to_header (param $size i32) (param $hp i32) (param $hl i32) (param $ident i32)
  (local $n i32) (local $buf i32)
  (if (i32.eq (local.get $size) (i32.const -1))
   (then (call $resp_set_header (local.get $hp) (local.get $hl) (i32.const ${minusOne}) (i32.const 2) (local.get $ident)) (return)))
  (local.set $n (select (i32.sub (i32.const 0) (local.get $size)) (local.get $size) (i32.lt_s (local.get $size) (i32.const 0))))
  (local.set $buf (global.get $next))
  (global.set $next (i32.add (global.get $next) (i32.add (local.get $n) (i32.const 16))))
  (if (call $get_ffi_result (local.get $buf) (local.get $ident)) (then (unreachable)))
  (call $resp_set_header (local.get $hp) (local.get $hl) (local.get $buf) (local.get $n) (local.get $ident)))
 (func (export "run_e") (param $ptr i32) (param $len i32) (param $ident i32)
  (local $size i32) (local $buf i32)
  ${body}
  (local.set $size (call $request_get_field (i32.const 1) (i32.const ${fail}) (i32.const ${failLength}) (local.get $ident)))
  (if (i32.gt_s (local.get $size) (i32.const 0))
   (then
    (local.set $buf (global.get $next))
    (global.set $next (i32.add (global.get $next) (i32.add (local.get $size) (i32.const 16))))
    (drop (call $get_ffi_result (local.get $buf) (local.get $ident)))
    (call $return_error (i32.const 418) (local.get $buf) (local.get $size) (local.get $ident))
    (return)))
  (if (i32.gt_s (local.get $size) (i32.const -1)) (then (drop (call $get_ffi_result (i32.const 0) (local.get $ident)))))
  (call $return_result (local.get $ptr) (local.get $len) (local.get $ident))))`);
}

/** Signs a runnable like any actor (the same `jwt` section). */
export async function signedRunnable(
  bytes: Uint8Array,
  options: { caps?: string[]; name?: string; subject?: KeyPair } = {},
): Promise<{ bytes: Uint8Array; key: string }> {
  const subject = options.subject ?? KeyPair.create("module");
  const signed = await signModule(bytes, { issuer: testAccount, subject, name: options.name ?? "runnable", caps: options.caps ?? [] });
  return { bytes: signed.bytes, key: subject.publicKey };
}
