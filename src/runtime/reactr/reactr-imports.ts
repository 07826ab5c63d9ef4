/**
 * The `env` imports of a Reactr runnable (docs/runnables.md), each also under its `_swift`
 * name (two extra trailing i32s, ignored). Every import names the job by its ident (last
 * parameter); an unknown ident answers -1 (or nothing, for a void import). The six marked
 * "P" answer -1 while the job's FFI slot still holds an unread result.
 */
import { GuestTrap } from "../wapc-guest.js";
import { copyOut } from "../copy-out.js";
import { cacheGet, cacheSet, fetchUrl, graphqlQuery, logMsg, NOT_ENABLED, staticFile, type CapabilityCall } from "./capability-calls.js";
import type { Job } from "./job.js";
import { getField, setField, setResponseHeader } from "./request-fields.js";

export interface ReactrHost {
  memory(): Uint8Array;
  /** The running job when `ident` is its ident. */
  job(ident: number): Job | undefined;
  /**
   * Makes the call `build` describes (built only on a first call, not when rewound) and
   * returns the import's value; the guest is suspended while the provider answers. `slot`:
   * the import is a "P" one. Unknown ident: -1.
   */
  capability(ident: number, slot: boolean, build: (job: Job) => CapabilityCall | number): number;
  /** A return_abort, logged at error level. */
  abort(message: string): void;
}

const utf8 = new TextDecoder();

type Import = (...args: number[]) => number | void;

export function reactrImports(host: ReactrHost): WebAssembly.ModuleImports {
  /** The guest's bytes; a range past the end of its memory traps (as an out-of-bounds load would) instead of being cut short. */
  const inBounds = (ptr: number, len: number): Uint8Array => {
    const memory = host.memory();
    // i32 arguments arrive signed: a "length" of 2^31 or more is negative here.
    if (ptr < 0 || len < 0 || ptr + len > memory.length)
      throw new GuestTrap(`out of bounds: [${ptr >>> 0}, +${len >>> 0}) is outside the runnable's ${memory.length}-byte memory`);
    return memory;
  };
  const view = (ptr: number, len: number): Uint8Array => inBounds(ptr, len).subarray(ptr, ptr + len);
  const read = (ptr: number, len: number): Uint8Array => copyOut(inBounds(ptr, len), ptr, len);
  const text = (ptr: number, len: number): string => utf8.decode(view(ptr, len));
  /** A "P" import answered on the spot. */
  const slotted = (ident: number, answer: (job: Job) => number): number => {
    const job = host.job(ident);
    if (!job || job.ffi !== undefined) return -1;
    return answer(job);
  };
  const imports: Record<string, Import> = {
    return_result: (ptr, size, ident) => {
      const job = host.job(ident!);
      if (!job || job.reported) return;
      job.reported = true;
      job.result = read(ptr!, size!);
    },
    return_error: (code, ptr, size, ident) => {
      const job = host.job(ident!);
      if (!job || job.reported) return;
      job.reported = true;
      job.error = { code: code!, message: text(ptr!, size!) };
    },
    return_abort: (msgPtr, msgSize, filePtr, fileSize, line, col, ident) => {
      const job = host.job(ident!);
      if (!job || job.reported) return;
      const message = `runnable abort: ${text(msgPtr!, msgSize!)}; file: ${text(filePtr!, fileSize!)}, line: ${line}, col: ${col}`;
      host.abort(message);
      job.reported = true;
      job.error = { code: -1, message };
    },
    get_ffi_result: (ptr, ident) => {
      const job = host.job(ident!);
      if (!job || job.ffi === undefined) return -1;
      host.memory().set(job.ffi, ptr!);
      job.ffi = undefined;
      return 0;
    },
    add_ffi_var: (namePtr, nameSize, valuePtr, valueSize, ident) => {
      const job = host.job(ident!);
      if (!job) return -1;
      job.vars.push([text(namePtr!, nameSize!), text(valuePtr!, valueSize!)]);
      return 0;
    },
    request_get_field: (type, keyPtr, keySize, ident) => slotted(ident!, (job) => job.answer(getField(job.request, type!, text(keyPtr!, keySize!)))),
    request_set_field: (type, keyPtr, keySize, valuePtr, valueSize, ident) =>
      slotted(ident!, (job) => job.answer(setField(job.request, type!, text(keyPtr!, keySize!), read(valuePtr!, valueSize!)))),
    resp_set_header: (keyPtr, keySize, valuePtr, valueSize, ident) => {
      const job = host.job(ident!);
      if (job) setResponseHeader(job.request, text(keyPtr!, keySize!), text(valuePtr!, valueSize!));
    },
    fetch_url: (method, urlPtr, urlSize, bodyPtr, bodySize, ident) =>
      host.capability(ident!, true, () => fetchUrl(method!, text(urlPtr!, urlSize!), read(bodyPtr!, bodySize!))),
    graphql_query: (endpointPtr, endpointSize, queryPtr, querySize, ident) =>
      host.capability(ident!, true, () => graphqlQuery(text(endpointPtr!, endpointSize!), text(queryPtr!, querySize!))),
    cache_set: (keyPtr, keySize, valuePtr, valueSize, ttl, ident) =>
      host.capability(ident!, false, () => cacheSet(text(keyPtr!, keySize!), read(valuePtr!, valueSize!), ttl!)),
    cache_get: (keyPtr, keySize, ident) => host.capability(ident!, true, () => cacheGet(text(keyPtr!, keySize!))),
    log_msg: (msgPtr, msgSize, level, ident) => void host.capability(ident!, false, () => logMsg(text(msgPtr!, msgSize!), level!)),
    get_static_file: (namePtr, nameSize, ident) => host.capability(ident!, true, () => staticFile(text(namePtr!, nameSize!))),
    // No SQL capability yet: the query's variables are consumed, the answer is "not enabled".
    db_exec: (_type, _namePtr, _nameSize, ident) =>
      slotted(ident!, (job) => {
        job.vars.length = 0;
        return job.answer({ error: NOT_ENABLED });
      }),
  };
  const all: WebAssembly.ModuleImports = {};
  for (const [name, fn] of Object.entries(imports)) {
    all[name] = fn;
    const arity = fn.length;
    all[`${name}_swift`] = (...args: number[]) => fn(...args.slice(0, arity));
  }
  return all;
}
