/**
 * An actor whose metered instances run on an executor thread (executors.ts) rather than the
 * host thread: its guests use another core, its host calls come back here to the providers.
 * Everything a metered pool guarantees holds (it is one, over there); this side forwards
 * invocations, answers host calls and keeps the sizes the executor reports. If the thread dies,
 * the invocations on it fail with WACTOR_ERR_TRAP and the next one starts the actor on a
 * new thread.
 */
import { WactorError, isWactorError } from "../../errors.js";
import type { ActorPool, ActorPoolOptions } from "../actor-pool-interface.js";
import { untilIdle } from "../bounded-wait.js";
import { guestErrorText } from "../channel.js";
import type { ExecutorPoolSpec, FromExecutor, PoolSizes } from "./executor-protocol.js";
import { sharedExecutors, type Executor, type ExecutorClient } from "./executors.js";
import type { InvocationTrace } from "../invocation-trace.js";
import type { GuestKind } from "../suspendable-guest.js";

let nextPoolId = 0;

export interface ExecutorPoolOptions extends Omit<ActorPoolOptions, "bytes" | "codeHash" | "isolation" | "cacheDir" | "onFallback"> {
  /** Instrumented and memory-capped, as for a metered pool. */
  module: WebAssembly.Module;
  kind: GuestKind;
}

export class ExecutorPool implements ActorPool {
  readonly #options: ExecutorPoolOptions;
  readonly #id = nextPoolId++;
  readonly #spec: ExecutorPoolSpec;
  readonly #client: ExecutorClient;
  #executor: Executor | undefined;
  #starting: Promise<Executor> | undefined;
  #sizes: PoolSizes = { size: 0, memoryBytes: 0 };
  #inFlight = 0;
  #closed = false;
  #stopped = false;
  #drained: (() => void) | undefined;

  constructor(options: ExecutorPoolOptions) {
    this.#options = options;
    const { module, kind, identity, instances, maxQueue, deadlineMs, maxMemoryBytes } = options;
    this.#spec = { module, kind, identity, instances, maxQueue, deadlineMs, maxMemoryBytes };
    this.#client = {
      hostCall: (message, trace) => this.#hostCall(message, trace),
      log: (line) => options.onLog?.(line),
      denied: (capabilityId, binding, operation, count) => options.onDenied?.(capabilityId, binding, operation, count),
      replaced: (reason) => {
        if (reason === "crash") this.#executor = undefined;
        options.onReplaced?.(reason);
      },
    };
  }

  get size(): number {
    return this.#sizes.size;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Queued invocations wait over there; here they count as in flight. */
  get queued(): number {
    return 0;
  }

  get memoryBytes(): number {
    return this.#sizes.memoryBytes;
  }

  async start(): Promise<void> {
    await this.#ready();
  }

  invoke(operation: string, payload: Uint8Array, trace?: InvocationTrace): Promise<Uint8Array> {
    if (this.#closed) return Promise.reject(new WactorError("WACTOR_ERR_ACTOR_STOPPED"));
    this.#inFlight++;
    trace?.started();
    const executor = this.#executor;
    const sent =
      executor && !executor.dead
        ? executor.invoke(this.#id, operation, payload, trace)
        : this.#ready().then((e) => e.invoke(this.#id, operation, payload, trace));
    return sent.then(
      ({ payload: reply, sizes }) => {
        this.#settled(sizes);
        return reply;
      },
      (err: unknown) => {
        this.#settled((err as { sizes?: PoolSizes }).sizes);
        throw err;
      },
    );
  }

  async drain(timeoutMs: number): Promise<void> {
    this.#closed = true;
    const started = Date.now();
    await untilIdle(this.#inFlight > 0, timeoutMs, (settle) => (this.#drained = settle));
    await this.#executor?.stop(this.#id, Math.max(0, timeoutMs - (Date.now() - started)));
    this.#executor = undefined;
  }

  async stop(): Promise<void> {
    this.#closed = true;
    this.#stopped = true;
    await this.#executor?.stop(this.#id);
    this.#executor = undefined;
  }

  /** The executor this actor runs on, started there first if needed (once at a time). */
  #ready(): Promise<Executor> {
    if (this.#executor && !this.#executor.dead) return Promise.resolve(this.#executor);
    this.#starting ??= (async () => {
      const executor = sharedExecutors.assign();
      try {
        this.#sizes = await executor.start(this.#id, this.#spec, this.#client);
      } catch (err) {
        throw isWactorError(err) ? err : new WactorError("WACTOR_ERR_TRAP", String(err));
      }
      // Stopped while it was starting (a restart after a crash can race a stop): leave nothing behind.
      if (this.#stopped) {
        await executor.stop(this.#id);
        throw new WactorError("WACTOR_ERR_ACTOR_STOPPED");
      }
      this.#executor = executor;
      return executor;
    })().finally(() => (this.#starting = undefined));
    return this.#starting;
  }

  #settled(sizes: PoolSizes | undefined): void {
    if (sizes) this.#sizes = sizes;
    this.#inFlight--;
    if (this.#inFlight === 0) this.#drained?.();
  }

  /** A traced invocation's host call runs in its trace context, so its span is the invocation's child. */
  #hostCall(message: Extract<FromExecutor, { t: "hostCall" }>, trace: InvocationTrace | undefined): void {
    const executor = this.#executor;
    const { binding, namespace, operation, payload } = message;
    const call = (): Promise<Uint8Array> => this.#options.hostCall({ binding, namespace, operation, payload });
    let reply: Promise<Uint8Array>;
    try {
      reply = trace ? trace.within(call) : call();
    } catch (err) {
      reply = Promise.reject(err);
    }
    reply.then(
      (answer) => executor?.replyToHostCall(message.hostCall, { ok: true, payload: answer }),
      (err: unknown) => executor?.replyToHostCall(message.hostCall, { ok: false, error: guestErrorText(err) }),
    );
  }
}
