/**
 * Instrumented modules, cached on disk by the hash of the module's code and the transform's
 * version (so a changed module, a new transform or a new Binaryen never reuses a stale
 * result). On a miss, a small module's JSPI rewrite runs right here (a millisecond or two for
 * a 22 KiB actor, less than a message to a worker and back); a large one's, and every asyncify
 * transform (Binaryen), in a worker thread. The cache directory must be as
 * trusted as the host itself: what it holds runs under a verified actor's identity.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { join } from "node:path";
import type { Worker } from "node:worker_threads";
import { listSections } from "../../claims/wasm-sections.js";
import { WactorError } from "../../errors.js";
import type { GuestKind } from "../suspendable-guest.js";
import { suspensionMode, type SuspensionMode } from "../suspension.js";
import { startWorker } from "../worker-source.js";
import type { InstrumentReport } from "./instrument.js";
import { instrumentJspi } from "./instrument-jspi.js";
import { JSPI_TRANSFORM_VERSION, SUSPEND_FLAG, TRANSFORM_VERSION } from "./metering-abi.js";
import type { TransformReply, TransformRequest } from "./transform-protocol.js";
import { readExportNames } from "./wasm-module.js";

const BINARYEN_VERSION = (createRequire(import.meta.url)("binaryen/package.json") as { version: string }).version;
const tag = (text: string): string => createHash("sha256").update(text).digest("hex").slice(0, 12);
/** The asyncify output depends on Binaryen's version, the JSPI rewrite's on its own code only. */
const CACHE_TAG: Readonly<Record<SuspensionMode, string>> = {
  asyncify: tag(`${TRANSFORM_VERSION}/${BINARYEN_VERSION}`),
  jspi: tag(`jspi/${JSPI_TRANSFORM_VERSION}`),
};

/**
 * JSPI rewrites of modules with up to this much besides custom sections (which the rewrite
 * drops unread: a Rust build's debug sections are megabytes) run on the calling thread: 0.5-3 ms for a 22 KiB
 * AssemblyScript actor on this loaded VM (about 30 µs per KiB once the rewrite's own code is
 * compiled), so at most a few ms; a larger module goes to the worker (a 2.4 MiB Rust module:
 * 30-110 ms of rewrite, which must not hold the thread every other actor runs on).
 */
const INLINE_MAX_BYTES = 64 * 1024;

/**
 * An export each mode's output has and the other's lacks: a hit that validates but lacks it
 * (a build of another mode or ABI under the same name) is transformed anew, not run, where
 * its checks would tick on every turn (the Rust echo then ran at 0.44 of its limit).
 */
const MODE_EXPORT: Readonly<Record<SuspensionMode, string>> = { jspi: SUSPEND_FLAG, asyncify: "asyncify_get_state" };

export interface InstrumentedModule {
  bytes: Uint8Array;
  /** Where it came from: the disk cache, or a transform just now (with its report). */
  cached: boolean;
  report: InstrumentReport | undefined;
}

/** `WACTOR_CACHE_DIR`, else `$XDG_CACHE_HOME/wactor`, else `~/.cache/wactor`. */
export function defaultCacheDir(): string {
  return process.env.WACTOR_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "wactor");
}

/**
 * The instrumented form of `bytes` (already verified), whose code hash is `codeHash`.
 * Concurrent requests for one module share one transform. The kind and the suspension mode are
 * part of the key: the two kinds suspend at different imports, the two modes differently.
 */
export function instrumentedModule(
  bytes: Uint8Array,
  codeHash: string,
  cacheDir = defaultCacheDir(),
  kind: GuestKind = "wapc",
  mode: SuspensionMode = suspensionMode(),
): Promise<InstrumentedModule> {
  const variant = mode === "jspi" ? `${kind}-jspi${JSPI_TRANSFORM_VERSION}` : kind;
  const file = join(cacheDir, "transform", `${codeHash.toLowerCase()}-${variant}-${CACHE_TAG[mode]}.wasm`);
  let pending = inFlight.get(file);
  if (!pending) {
    pending = load(bytes, file, kind, mode).finally(() => inFlight.delete(file));
    inFlight.set(file, pending);
  }
  return pending;
}

const inFlight = new Map<string, Promise<InstrumentedModule>>();

async function load(bytes: Uint8Array, file: string, kind: GuestKind, mode: SuspensionMode): Promise<InstrumentedModule> {
  const hit = await readFile(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return undefined;
    throw new WactorError("WACTOR_ERR_FILE_READ", `transform cache ${file}: ${err.message}`);
  });
  if (hit && WebAssembly.validate(hit) && readExportNames(hit).includes(MODE_EXPORT[mode]))
    return { bytes: new Uint8Array(hit), cached: true, report: undefined };
  const { bytes: output, report } =
    mode === "jspi" && runtimeBytes(bytes) <= INLINE_MAX_BYTES ? instrumentJspi(bytes, kind) : await transformer.run(bytes, kind, mode);
  await store(file, output);
  return { bytes: output, cached: false, report };
}

/** The module's size without its custom sections. */
function runtimeBytes(bytes: Uint8Array): number {
  let size = 0;
  try {
    for (const section of listSections(bytes)) if (section.id !== 0) size += section.end - section.start;
  } catch {
    return bytes.length; // malformed: the rewrite says how, wherever it runs
  }
  return size;
}

/** Written to a temporary name and renamed: a reader never sees half a file. */
async function store(file: string, bytes: Uint8Array): Promise<void> {
  try {
    await mkdir(join(file, ".."), { recursive: true });
    const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(temporary, bytes);
    await rename(temporary, file);
  } catch {
    // A read-only or full disk costs the next start a transform, nothing else.
  }
}

/**
 * Binaryen stops rather than throws on some inputs; a transform that never answers costs the
 * worker (terminated, the module runs on a thread), never the host. A 2 MB Rust actor takes
 * 1-20 s on a loaded 2-core machine.
 */
const TRANSFORM_TIMEOUT_MS = 120_000;

/** One worker, started on first use and let go of while idle. */
class Transformer {
  #worker: Worker | undefined;
  #nextId = 1;
  readonly #pending = new Map<number, { resolve: (r: { bytes: Uint8Array; report: InstrumentReport }) => void; reject: (e: Error) => void }>();

  run(bytes: Uint8Array, kind: GuestKind, mode: SuspensionMode): Promise<{ bytes: Uint8Array; report: InstrumentReport }> {
    const worker = this.#ensure();
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => void worker.terminate(), TRANSFORM_TIMEOUT_MS);
      timer.unref();
      const settle =
        <T>(fn: (value: T) => void) =>
        (value: T): void => {
          clearTimeout(timer);
          fn(value);
        };
      this.#pending.set(id, { resolve: settle(resolve), reject: settle(reject) });
      worker.ref();
      worker.postMessage({ id, bytes, kind, mode } satisfies TransformRequest);
    });
  }

  #ensure(): Worker {
    if (this.#worker) return this.#worker;
    const worker = startWorker("./transform-worker", import.meta.url);
    worker.unref();
    worker.on("message", (reply: TransformReply) => {
      const pending = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      if (this.#pending.size === 0) worker.unref();
      if (!pending) return;
      if (reply.ok) pending.resolve({ bytes: reply.bytes, report: reply.report });
      else pending.reject(new WactorError("WACTOR_ERR_UNSUPPORTED_MODULE", reply.detail ?? reply.error));
    });
    const fail = (why: string): void => {
      if (this.#worker === worker) this.#worker = undefined;
      for (const pending of this.#pending.values()) pending.reject(new WactorError("WACTOR_ERR_UNSUPPORTED_MODULE", `metering instrumentation failed: ${why}`));
      this.#pending.clear();
    };
    worker.on("error", (err) => fail(err.message));
    worker.on("exit", (code) => fail(`the transform worker exited (${code})`));
    this.#worker = worker;
    return worker;
  }
}

const transformer = new Transformer();
