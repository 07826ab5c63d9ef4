/**
 * The no-isolation limit of an actor: the same module called directly in the calling thread,
 * with no host in between (no claims or binding checks, no metering, no scheduler). A guest
 * that makes host calls is asyncified on `__host_call` alone (Binaryen, the same optimize
 * level wactor's transform uses) so it can await its provider; `instances` of it serve
 * invocations one at a time each. This is what giving up isolation would buy.
 *
 * `BENCH_LIMIT=jspi` (an engine with JSPI) leaves the module as it is instead: `__host_call` is
 * a `WebAssembly.Suspending` import and each invocation enters `__guest_call` through
 * `WebAssembly.promising`. Not the default: with 16 invocations in flight that costs 83-92 µs
 * of CPU per kvcounter invocation against 11.5-43 µs asyncified (in-process, a provider that
 * answers at once, 3 rounds of 1 s each): every `promising` call gets a new stack, and many
 * live at once (wactor's serve loop keeps one per instance instead; docs/runtime.md).
 */
import binaryen from "binaryen";
import Fastify, { type FastifyReply, type FastifyRequest } from "fastify";
import { decodeHttpResponse, encodeHttpRequest } from "../dist/src/codec/mod.js";
// The limit copies out of guest memory as wactor does (docs/runtime.md, "Fuel on back edges, and copies out of guest memory").
import { copyOut } from "../dist/src/runtime/copy-out.js";

const PAGE = 65536;
const UNWINDING = 1;
const REWINDING = 2;

export type LimitHostCall = (binding: string, namespace: string, operation: string, payload: Uint8Array) => Promise<Uint8Array>;

interface Exports {
  memory: WebAssembly.Memory;
  __guest_call(opLength: number, msgLength: number): number;
  asyncify_start_unwind?(data: number): void;
  asyncify_stop_unwind?(): void;
  asyncify_start_rewind?(data: number): void;
  asyncify_stop_rewind?(): void;
  asyncify_get_state?(): number;
}

/** Asyncifies `__host_call` only (no metering); null for a module that makes no host calls. */
export function asyncifyHostCalls(bytes: Uint8Array): Uint8Array | null {
  if (!WebAssembly.Module.imports(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>)).some((i) => i.name === "__host_call")) return null;
  const module = binaryen.readBinary(bytes);
  try {
    module.setFeatures(binaryen.Features.All);
    binaryen.setOptimizeLevel(1);
    binaryen.setPassArgument("asyncify-imports", "wapc.__host_call");
    module.runPasses(["asyncify"]);
    binaryen.setPassArgument("asyncify-imports", null);
    return module.emitBinary();
  } finally {
    module.dispose();
  }
}

interface Jspi {
  Suspending: new (fn: (...args: never[]) => unknown) => WebAssembly.ImportValue;
  promising: (fn: unknown) => (...args: number[]) => Promise<number>;
}
const engine = WebAssembly as unknown as Partial<Jspi>;
/** The engine's JSPI when the limit uses it. */
const jspi: Jspi | undefined = typeof engine.Suspending === "function" && process.env.BENCH_LIMIT === "jspi" ? (engine as Jspi) : undefined;

/** One guest instance driven in the caller's thread. */
class Guest {
  #exports!: Exports;
  #data = 0;
  #operation: Uint8Array = new Uint8Array();
  #message: Uint8Array = new Uint8Array();
  #response: Uint8Array = new Uint8Array();
  #error = "";
  #hostResponse: Uint8Array = new Uint8Array();
  #pending: Promise<Uint8Array> | undefined;

  #promisingCall: ((opLength: number, msgLength: number) => Promise<number>) | undefined;

  /** `usesJspi`: the module was left as it is and suspends by JSPI. */
  constructor(module: WebAssembly.Module, hostCall: LimitHostCall, usesJspi = false) {
    const text = new TextDecoder();
    const mem = (): Uint8Array => new Uint8Array(this.#exports.memory.buffer);
    const str = (p: number, l: number): string => text.decode(mem().subarray(p, p + l));
    const instance = new WebAssembly.Instance(module, {
      wapc: {
        __guest_request: (op: number, msg: number) => {
          mem().set(this.#operation, op);
          mem().set(this.#message, msg);
        },
        __guest_response: (ptr: number, len: number) => void (this.#response = copyOut(mem(), ptr, len)),
        __guest_error: (ptr: number, len: number) => void (this.#error = str(ptr, len)),
        __host_call:
          jspi && usesJspi
            ? new jspi.Suspending(async (bp: number, bl: number, np: number, nl: number, op: number, ol: number, p: number, l: number) => {
                this.#hostResponse = await hostCall(str(bp, bl), str(np, nl), str(op, ol), copyOut(mem(), p, l));
                return 1;
              })
            : (bp: number, bl: number, np: number, nl: number, op: number, ol: number, p: number, l: number) => {
                const exports = this.#exports;
                if (exports.asyncify_get_state!() === REWINDING) {
                  exports.asyncify_stop_rewind!();
                  return 1;
                }
                this.#pending = hostCall(str(bp, bl), str(np, nl), str(op, ol), copyOut(mem(), p, l));
                const words = new Int32Array(exports.memory.buffer, this.#data, 2);
                words[0] = this.#data + 8;
                words[1] = this.#data + 2 * PAGE;
                exports.asyncify_start_unwind!(this.#data);
                return 0;
              },
        __host_response_len: () => this.#hostResponse.length,
        __host_response: (ptr: number) => mem().set(this.#hostResponse, ptr),
        __host_error_len: () => 0,
        __host_error: () => undefined,
        __console_log: () => undefined,
      },
      env: {
        abort: () => {
          throw new Error("abort");
        },
      },
    });
    this.#exports = instance.exports as unknown as Exports;
    for (const name of ["_start", "wapc_init"]) (instance.exports[name] as (() => void) | undefined)?.();
    if (this.#exports.asyncify_get_state) this.#data = this.#exports.memory.grow(2) * PAGE;
    if (jspi && usesJspi) this.#promisingCall = jspi.promising(this.#exports.__guest_call);
  }

  /** The reply itself when the guest did not suspend (no host call): a limit pays no promise it does not need. */
  invoke(operation: Uint8Array, message: Uint8Array): Uint8Array | Promise<Uint8Array> {
    this.#operation = operation;
    this.#message = message;
    const exports = this.#exports;
    if (this.#promisingCall) return this.#invokePromising(operation, message);
    const ok = exports.__guest_call(operation.length, message.length);
    if (exports.asyncify_get_state?.() === UNWINDING) return this.#rewindUntilDone(operation, message);
    if (!ok) throw new Error(this.#error);
    return this.#response;
  }

  async #invokePromising(operation: Uint8Array, message: Uint8Array): Promise<Uint8Array> {
    if (!(await this.#promisingCall!(operation.length, message.length))) throw new Error(this.#error);
    return this.#response;
  }

  async #rewindUntilDone(operation: Uint8Array, message: Uint8Array): Promise<Uint8Array> {
    const exports = this.#exports;
    let ok = 0;
    do {
      exports.asyncify_stop_unwind!();
      this.#hostResponse = await this.#pending!;
      exports.asyncify_start_rewind!(this.#data);
      ok = exports.__guest_call(operation.length, message.length);
    } while (exports.asyncify_get_state?.() === UNWINDING);
    if (!ok) throw new Error(this.#error);
    return this.#response;
  }
}

/** `instances` guests of one module, each serving one invocation at a time. */
export class InThreadActor {
  readonly #idle: Guest[];
  readonly #waiting: Array<(guest: Guest) => void> = [];

  constructor(bytes: Uint8Array, instances: number, hostCall: LimitHostCall = () => Promise.reject(new Error("no host calls here"))) {
    const callsOut = WebAssembly.Module.imports(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>)).some((i) => i.name === "__host_call");
    const usesJspi = jspi !== undefined && callsOut;
    const module = new WebAssembly.Module((usesJspi ? bytes : (asyncifyHostCalls(bytes) ?? bytes)) as Uint8Array<ArrayBuffer>);
    this.#idle = Array.from({ length: instances }, () => new Guest(module, hostCall, usesJspi));
  }

  /** At once when an instance is idle and the guest does not suspend; else a promise. */
  invoke(operation: Uint8Array, message: Uint8Array): Uint8Array | Promise<Uint8Array> {
    const guest = this.#idle.pop();
    if (!guest) return new Promise<Guest>((resolve) => this.#waiting.push(resolve)).then((g) => this.#invokeOn(g, operation, message));
    return this.#invokeOn(guest, operation, message);
  }

  #invokeOn(guest: Guest, operation: Uint8Array, message: Uint8Array): Uint8Array | Promise<Uint8Array> {
    let reply: Uint8Array | Promise<Uint8Array>;
    try {
      reply = guest.invoke(operation, message);
    } catch (err) {
      this.#release(guest);
      throw err;
    }
    if (!(reply instanceof Promise)) {
      this.#release(guest);
      return reply;
    }
    return reply.finally(() => this.#release(guest));
  }

  #release(guest: Guest): void {
    const next = this.#waiting.shift();
    if (next) next(guest);
    else this.#idle.push(guest);
  }
}

const HANDLE_REQUEST = new TextEncoder().encode("HandleRequest");

/** A fastify server answering every request through the actor, with wactor's HTTP codec. */
export async function limitServer(actor: InThreadActor, port: number): Promise<{ close: () => Promise<unknown> }> {
  const app = Fastify({ logger: false });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, done) => done(null, body));
  const send = (reply: FastifyReply, bytes: Uint8Array): void => {
    const response = decodeHttpResponse(bytes);
    for (const [name, value] of Object.entries(response.header)) reply.header(name, value);
    void reply.code(response.statusCode).send(Buffer.from(response.body.buffer, response.body.byteOffset, response.body.byteLength));
  };
  // Not async: a module that makes no host call answers in the request's turn, with no promise.
  const handler = (request: FastifyRequest, reply: FastifyReply): Promise<void> | undefined => {
    const url = request.raw.url ?? "/";
    const q = url.indexOf("?");
    const header: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) if (value !== undefined) header[name] = Array.isArray(value) ? value.join(", ") : value;
    const payload = encodeHttpRequest({
      method: request.method,
      path: q < 0 ? url : url.slice(0, q),
      queryString: q < 0 ? "" : url.slice(q + 1),
      header,
      body: request.body instanceof Uint8Array ? request.body : new Uint8Array(0),
    });
    const answer = actor.invoke(HANDLE_REQUEST, payload);
    if (answer instanceof Promise) return answer.then((bytes) => send(reply, bytes));
    send(reply, answer);
    return undefined;
  };
  app.route({ method: ["GET", "POST"], url: "/*", handler });
  await app.listen({ port, host: "127.0.0.1" });
  return app;
}
