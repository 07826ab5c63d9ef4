/**
 * Design (b) of issue 3, measured beside the design wactor runs (a): the same guest made
 * able to await an asynchronous host call with Binaryen's asyncify and run in the host
 * thread, against wactor's worker instance answering the host call over its rings. Both
 * answer the host call asynchronously (a promise), as a Redis or NATS provider would.
 * What (b) gives up is not measured here because it cannot be: a guest that loops freezes
 * the host thread for good (there is nothing to terminate).
 */
import { createRequire } from "node:module";
import { pino } from "pino";
import { Host, KeyPair, signModule } from "../dist/src/mod.js";
import { rawGuestBytes } from "../test/helpers/raw-guest.js";
import { fmt, pipelinedRate, sequentialRate } from "./stats.js";
import type { Row } from "./runtime.js";

// Binaryen is the AssemblyScript compiler's own optimizer (a dependency of it): no new package.
const binaryen = (await import(createRequire(import.meta.resolve("assemblyscript")).resolve("binaryen"))).default as typeof import("binaryen").default;

const PAGE = 65536;
const UNWINDING = 1;
const REWINDING = 2;

interface AsyncifyExports {
  memory: WebAssembly.Memory;
  __guest_call(opLength: number, msgLength: number): number;
  asyncify_start_unwind(data: number): void;
  asyncify_stop_unwind(): void;
  asyncify_start_rewind(data: number): void;
  asyncify_stop_rewind(): void;
  asyncify_get_state(): number;
}

type AsyncHostCall = (namespace: string, operation: string, payload: Uint8Array) => Promise<Uint8Array>;

/** A minimal in-thread waPC host for an asyncified guest: __host_call may await. */
class AsyncifiedGuest {
  #exports!: AsyncifyExports;
  #data = 0;
  #operation = new Uint8Array();
  #message: Uint8Array = new Uint8Array();
  #response: Uint8Array = new Uint8Array();
  #hostResponse: Uint8Array = new Uint8Array();
  #pending: Promise<Uint8Array> | undefined;

  static async create(module: WebAssembly.Module, hostCall: AsyncHostCall): Promise<AsyncifiedGuest> {
    const guest = new AsyncifiedGuest();
    const text = new TextDecoder();
    const mem = () => new Uint8Array(guest.#exports.memory.buffer);
    const instance = await WebAssembly.instantiate(module, {
      wapc: {
        __guest_request: (op: number, msg: number) => {
          mem().set(guest.#operation, op);
          mem().set(guest.#message, msg);
        },
        __guest_response: (ptr: number, len: number) => void (guest.#response = mem().slice(ptr, ptr + len)),
        __guest_error: () => {},
        __host_call: (_bp: number, _bl: number, np: number, nl: number, op: number, ol: number, p: number, l: number) => {
          const exports = guest.#exports;
          if (exports.asyncify_get_state() === REWINDING) {
            exports.asyncify_stop_rewind();
            return 1; // the awaited reply is in #hostResponse
          }
          const m = mem();
          guest.#pending = hostCall(text.decode(m.subarray(np, np + nl)), text.decode(m.subarray(op, op + ol)), m.slice(p, p + l));
          const words = new Int32Array(exports.memory.buffer, guest.#data, 2);
          words[0] = guest.#data + 8; // asyncify's stack: from here...
          words[1] = guest.#data + PAGE; // ...to the end of its page
          exports.asyncify_start_unwind(guest.#data);
          return 0;
        },
        __host_response_len: () => guest.#hostResponse.length,
        __host_response: (ptr: number) => mem().set(guest.#hostResponse, ptr),
        __host_error_len: () => 0,
        __host_error: () => {},
        __console_log: () => {},
      },
      env: { abort: () => { throw new Error("abort"); } },
    });
    guest.#exports = instance.exports as unknown as AsyncifyExports;
    // One page of its own for asyncify's saved stack, above everything the guest allocated.
    guest.#data = guest.#exports.memory.grow(1) * PAGE;
    return guest;
  }

  async invoke(operation: string, message: Uint8Array): Promise<Uint8Array> {
    this.#operation = new TextEncoder().encode(operation);
    this.#message = message;
    const exports = this.#exports;
    let ok = exports.__guest_call(this.#operation.length, message.length);
    while (exports.asyncify_get_state() === UNWINDING) {
      exports.asyncify_stop_unwind();
      this.#hostResponse = await this.#pending!;
      exports.asyncify_start_rewind(this.#data);
      ok = exports.__guest_call(this.#operation.length, message.length);
    }
    if (!ok) throw new Error(`${operation} failed`);
    return this.#response;
  }
}

export async function asyncifyBench(): Promise<Row[]> {
  const raw = rawGuestBytes();
  const started = performance.now();
  binaryen.setPassArgument("asyncify-imports", "wapc.__host_call");
  const parsed = binaryen.readBinary(raw);
  parsed.setFeatures(binaryen.Features.All);
  parsed.runPasses(["asyncify"]);
  const asyncifyMs = performance.now() - started;
  // asyncify bloats the code it instruments; what would ship is the optimized result.
  binaryen.setOptimizeLevel(2);
  parsed.optimize();
  const transformed = parsed.emitBinary();
  parsed.dispose();
  const transformMs = performance.now() - started;

  const answer: AsyncHostCall = async (_namespace, _operation, payload) => payload;
  const inThread = await AsyncifiedGuest.create(await WebAssembly.compile(transformed as Uint8Array<ArrayBuffer>), answer);
  const request = new TextEncoder().encode("default|wascc:extras|Echo|x");
  const check = new TextDecoder().decode(await inThread.invoke("HostCall", request));
  if (check !== "x") throw new Error(`asyncified guest answered '${check}'`);

  const host = new Host({ logger: pino({ level: "silent" }), actorDefaults: { instances: 1 } });
  try {
    const signed = await signModule(raw, { issuer: KeyPair.create("account"), subject: KeyPair.create("module"), caps: ["wascc:extras"] });
    const key = (await host.startActor(signed.bytes)).key;
    await host.addProvider({ capabilityId: "wascc:extras", name: "echo", start: async () => {}, stop: async () => {}, bind: async () => {}, unbind: async () => {}, bindingStatus: () => ({ state: "ok" as const }), handleCall: async (c: { payload: Uint8Array }) => c.payload });
    await host.bind(key, "wascc:extras", "default", {});
    const asyncSeq = await sequentialRate(() => inThread.invoke("HostCall", request), 100_000, 3000);
    const workerSeq = await sequentialRate(() => host.invoke(key, "HostCall", request), 20_000, 3000);
    const workerPiped = await pipelinedRate(() => host.invoke(key, "HostCall", request), 200_000, 64, 3000);
    return [
      { what: "asyncify pass / with optimize, 9 KiB actor (ms; done once per module hash)", baseline: "-", wactor: `${fmt(asyncifyMs, 1)} / ${fmt(transformMs, 1)}`, ratio: `${fmt(raw.length)} -> ${fmt(transformed.length)} bytes` },
      { what: "one invocation with one async host call, sequential (calls/s): (b) asyncify in-thread vs (a) worker", baseline: fmt(asyncSeq.perSecond), wactor: fmt(workerSeq.perSecond), ratio: fmt(workerSeq.perSecond / asyncSeq.perSecond, 3) },
      { what: "same, 64 in flight (calls/s): (b) one in-thread instance runs them one by one vs (a) worker", baseline: fmt(asyncSeq.perSecond), wactor: fmt(workerPiped.perSecond), ratio: fmt(workerPiped.perSecond / asyncSeq.perSecond, 3) },
    ];
  } finally {
    await host.shutdown();
  }
}
