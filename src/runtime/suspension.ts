/**
 * How a metered guest is suspended at a host call or a yield (docs/runtime.md): by the engine
 * where it has WebAssembly JS Promise Integration (JSPI: Node 26 and later, on by default), else
 * by Binaryen's asyncify rewriting the guest (Node 20-24, where JSPI is absent or behind a flag).
 * `WACTOR_SUSPENSION=asyncify` forces the fallback (tests run both paths with it).
 */

export type SuspensionMode = "jspi" | "asyncify";

/** The two JSPI entry points; the TypeScript DOM types do not have them yet. */
interface Jspi {
  Suspending: new (fn: (...args: never[]) => unknown) => unknown;
  promising: <F extends (...args: never[]) => unknown>(fn: F) => (...args: Parameters<F>) => Promise<ReturnType<F>>;
}

/** The engine's JSPI, undefined where it has none. */
export const jspi: Jspi | undefined = (() => {
  const wasm = WebAssembly as unknown as Partial<Jspi>;
  return typeof wasm.Suspending === "function" && typeof wasm.promising === "function" ? (wasm as Jspi) : undefined;
})();

/** What new modules are instrumented for, read each time (a test may force the fallback). */
export function suspensionMode(): SuspensionMode {
  const forced = process.env.WACTOR_SUSPENSION;
  if (forced === "asyncify") return "asyncify";
  return jspi ? "jspi" : "asyncify";
}
