/**
 * Compiles a verified module for its instances: the memory ceiling written into the module
 * first (memory-limit.ts), then a check of its shape, so a module that could never serve
 * fails at start with a clear code rather than at its first call. Two shapes run: a waPC
 * actor and a Reactr runnable (docs/runnables.md), told apart by their exports.
 */
import { WactorError, isWactorError } from "../errors.js";
import { capMemory } from "./memory-limit.js";
import type { GuestKind } from "./suspendable-guest.js";

type Shape = ReadonlyArray<[string, WebAssembly.ImportExportKind]>;

const SHAPES: ReadonlyArray<[GuestKind, Shape]> = [
  [
    "wapc",
    [
      ["__guest_call", "function"],
      ["memory", "memory"],
    ],
  ],
  [
    "runnable",
    [
      ["memory", "memory"],
      ["allocate", "function"],
      ["deallocate", "function"],
      ["run_e", "function"],
    ],
  ],
];

/** What the module is, by its exports; undefined when it is neither shape. */
export function guestKindOf(exports: readonly WebAssembly.ModuleExportDescriptor[]): GuestKind | undefined {
  return SHAPES.find(([, shape]) => shape.every(([name, kind]) => exports.some((e) => e.name === name && e.kind === kind)))?.[0];
}

/** The kind of module the runtime would run it as ("actor" for waPC), undefined when it cannot compile or is neither. */
export async function moduleKind(bytes: Uint8Array): Promise<"actor" | "runnable" | undefined> {
  try {
    const kind = guestKindOf(WebAssembly.Module.exports(await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>)));
    return kind === undefined ? undefined : kind === "wapc" ? "actor" : "runnable";
  } catch {
    return undefined;
  }
}

export async function compileActorModule(bytes: Uint8Array, maxMemoryBytes: number): Promise<{ module: WebAssembly.Module; kind: GuestKind }> {
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile(capMemory(bytes, maxMemoryBytes) as Uint8Array<ArrayBuffer>);
  } catch (err) {
    if (isWactorError(err)) throw err;
    throw new WactorError("WACTOR_ERR_MODULE_COMPILE", (err as Error).message);
  }
  const exports = WebAssembly.Module.exports(module);
  const kind = guestKindOf(exports);
  if (kind === undefined) {
    const missing = (shape: Shape): string =>
      shape
        .filter(([name, k]) => !exports.some((e) => e.name === name && e.kind === k))
        .map(([n]) => n)
        .join(", ");
    throw new WactorError(
      "WACTOR_ERR_UNSUPPORTED_MODULE",
      `neither a waPC actor (missing export ${missing(SHAPES[0]![1])}) nor a Reactr runnable (missing export ${missing(SHAPES[1]![1])})`,
    );
  }
  return { module, kind };
}
