/**
 * The instances of one actor, whichever way they run. Metered (the default): instrumented
 * Wasm instance objects sharing the host thread (metered-pool.ts). Executor: the same, on a
 * shared executor thread, for compute-bound actors (executor-pool.ts). Thread (the last resort,
 * for a module the instrumentation cannot handle, or on request): one worker thread per
 * instance, stopped by terminating it (pool.ts). A Reactr runnable (docs/runnables.md) runs
 * metered or on an executor only: its host calls exist only as suspensions.
 */
import { WactorError, isWactorError } from "../errors.js";
import { compileActorModule } from "./compile-actor.js";
import { ExecutorPool } from "./executor/executor-pool.js";
import { MeteredPool } from "./metered/metered-pool.js";
import { SUSPEND_STACK_PAGES, WASM_PAGE, type GuestKind } from "./suspendable-guest.js";
import { InstancePool } from "./thread/pool.js";
import { suspensionMode } from "./suspension.js";
import { instrumentedModule } from "./transform/transform-cache.js";
import { MAX_THREAD_INSTANCES, type ActorPool, type ActorPoolOptions, type Isolation } from "./actor-pool-interface.js";

export type { ActorPool, ActorPoolOptions, Isolation } from "./actor-pool-interface.js";
export { MAX_THREAD_INSTANCES } from "./actor-pool-interface.js";

export interface StartedPool {
  pool: ActorPool;
  isolation: Isolation;
}

/** Compiles (through the caches) and starts the actor's pool. */
export async function startActorPool(options: ActorPoolOptions): Promise<StartedPool> {
  // The plain module is checked first, so a broken module, or one of neither shape, fails with its own code.
  const { module: plain, kind } = await cachedCompile(`plain/${options.codeHash}/${options.maxMemoryBytes}`, () =>
    compileActorModule(options.bytes, options.maxMemoryBytes),
  );
  if (kind === "runnable" && options.isolation === "thread") {
    throw new WactorError(
      "WACTOR_ERR_UNSUPPORTED_MODULE",
      "a Reactr runnable runs with isolation 'metered' or 'executor'; 'thread' is not offered to runnables",
    );
  }
  if (options.isolation !== "thread") {
    const metered = await meteredModule(options, kind).catch((err: unknown) => {
      if (isWactorError(err, "WACTOR_ERR_UNSUPPORTED_MODULE")) return err;
      throw err;
    });
    if (!(metered instanceof WactorError)) {
      const pool =
        options.isolation === "executor" ? new ExecutorPool({ ...options, module: metered, kind }) : new MeteredPool({ ...options, module: metered, kind });
      await pool.start();
      return { pool, isolation: options.isolation };
    }
    // A runnable's host calls exist only as suspensions: without the transform it cannot run.
    if (kind === "runnable")
      throw new WactorError(
        "WACTOR_ERR_UNSUPPORTED_MODULE",
        `a Reactr runnable must be metered (runnables are not offered the 'thread' isolation): ${metered.detail ?? metered.message}`,
      );
    options.onFallback?.(metered.detail ?? metered.message);
  }
  const pool = new InstancePool({ ...options, module: plain, instances: Math.min(options.instances, MAX_THREAD_INSTANCES) });
  await pool.start();
  return { pool, isolation: "thread" };
}

/**
 * Compiled modules by code hash and ceiling: many actors may share code (the hash covers every
 * byte but the claims), and a compiled module is immutable.
 */
const compiled = new Map<string, Promise<Compiled>>();
const COMPILED_KEPT = 512;

type Compiled = Awaited<ReturnType<typeof compileActorModule>>;

function cachedCompile(key: string, compile: () => Promise<Compiled>): Promise<Compiled> {
  let module = compiled.get(key);
  if (!module) {
    module = compile();
    module.catch(() => compiled.delete(key));
    if (compiled.size >= COMPILED_KEPT) compiled.delete(compiled.keys().next().value!);
    compiled.set(key, module);
  }
  return module;
}

async function meteredModule(options: ActorPoolOptions, kind: GuestKind): Promise<WebAssembly.Module> {
  const mode = suspensionMode();
  const { module } = await cachedCompile(`metered/${kind}/${mode}/${options.cacheDir ?? ""}/${options.codeHash}/${options.maxMemoryBytes}`, async () => {
    const { bytes } = await instrumentedModule(options.bytes, options.codeHash, options.cacheDir, kind, mode);
    // asyncify's suspend region lives above what the guest may use: the ceiling makes room for it.
    return compileActorModule(bytes, options.maxMemoryBytes + (mode === "asyncify" ? SUSPEND_STACK_PAGES * WASM_PAGE : 0));
  });
  return module;
}
