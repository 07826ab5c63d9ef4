/**
 * The WASI a runnable gets (docs/runnables.md): what Rust, TinyGo and Grain runnables call in
 * practice, and nothing that reaches files, sockets or the environment. fd_write goes to the
 * host's log; args and environment are empty; clocks and randomness are real; proc_exit ends
 * the instance. Every other function answers ENOSYS, so a module that imports more still
 * links, and learns at the call that it cannot have it.
 */
import { randomFillSync } from "node:crypto";
import { GuestTrap } from "../wapc-guest.js";

export const WASI_MODULE = "wasi_snapshot_preview1";

const ERRNO_SUCCESS = 0;
const ERRNO_BADF = 8;
const ERRNO_INVAL = 28;
const ERRNO_NOSYS = 52;

/** proc_exit: the guest asked to end. `_start` ending with code 0 is a normal end. */
export class ProcExit extends GuestTrap {
  readonly code: number;
  constructor(code: number) {
    super(`proc_exit(${code})`);
    this.name = "ProcExit";
    this.code = code;
  }
}

export interface WasiContext {
  memory(): Uint8Array;
  /** A line written to stdout or stderr. */
  log(line: string): void;
}

const utf8 = new TextDecoder();

/** The WASI imports for every function the module imports from `wasi_snapshot_preview1`. */
export function wasiImports(module: WebAssembly.Module, context: WasiContext): WebAssembly.ModuleImports {
  const view = (): DataView => {
    const bytes = context.memory();
    return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
  const known: Record<string, (...args: never[]) => number | void> = {
    fd_write: (fd: number, iovs: number, count: number, written: number) => {
      const memory = context.memory();
      const dv = view();
      let total = 0;
      let text = "";
      for (let i = 0; i < count; i++) {
        const ptr = dv.getUint32(iovs + i * 8, true);
        const len = dv.getUint32(iovs + i * 8 + 4, true);
        if (ptr + len > memory.length) return ERRNO_INVAL;
        text += utf8.decode(memory.subarray(ptr, ptr + len));
        total += len;
      }
      if (fd !== 1 && fd !== 2) return ERRNO_BADF;
      const line = text.replace(/\n$/, "");
      if (line !== "") context.log(line);
      dv.setUint32(written, total, true);
      return ERRNO_SUCCESS;
    },
    environ_sizes_get: (count: number, size: number) => zeros(view(), count, size),
    args_sizes_get: (count: number, size: number) => zeros(view(), count, size),
    environ_get: () => ERRNO_SUCCESS,
    args_get: () => ERRNO_SUCCESS,
    sched_yield: () => ERRNO_SUCCESS,
    clock_time_get: (id: number, _precision: bigint, out: number) => {
      const now = id === 0 ? BigInt(Date.now()) * 1_000_000n : process.hrtime.bigint();
      view().setBigUint64(out, now, true);
      return ERRNO_SUCCESS;
    },
    random_get: (ptr: number, len: number) => {
      const memory = context.memory();
      if (ptr + len > memory.length) return ERRNO_INVAL;
      randomFillSync(memory, ptr, len);
      return ERRNO_SUCCESS;
    },
    proc_exit: (code: number) => {
      throw new ProcExit(code);
    },
  };
  const imports: WebAssembly.ModuleImports = {};
  for (const { module: from, name, kind } of WebAssembly.Module.imports(module)) {
    if (from !== WASI_MODULE || kind !== "function") continue;
    imports[name] = Object.hasOwn(known, name) ? known[name]! : () => ERRNO_NOSYS;
  }
  return imports;
}

function zeros(view: DataView, count: number, size: number): number {
  view.setUint32(count, 0, true);
  view.setUint32(size, 0, true);
  return ERRNO_SUCCESS;
}
