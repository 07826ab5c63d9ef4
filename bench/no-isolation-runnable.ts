/**
 * The no-isolation limit of a Reactr runnable: the same module called in the caller's thread by
 * a fastify handler that does only what any Reactr host must per request (the request's
 * fields, a fresh request id, allocate, run_e, read the result, deallocate), with no claims,
 * bindings, metering or scheduler. A runnable that fetches is asyncified on `env.fetch_url`
 * alone (Binaryen, as bench/no-isolation.ts does for actors) and its fetch_url awaits the
 * `fetch` given (undici, in the benchmark), then rewinds with the answer in the FFI slot.
 */
import { randomUUID } from "node:crypto";
import binaryen from "binaryen";
import Fastify, { type FastifyReply, type FastifyRequest } from "fastify";
import { decodeHttpRequest, decodeHttpResponse, encodeHttpRequest, encodeHttpResponse } from "../dist/src/codec/mod.js";
// The limit copies out of guest memory as wactor does (docs/runtime.md, "Fuel on back edges, and copies out of guest memory").
import { copyOut } from "../dist/src/runtime/copy-out.js";

const PAGE = 65536;
const UNWINDING = 1;
const REWINDING = 2;
const METHODS = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"];

/** What the limit's fetch_url awaits: status and body of one request. */
export type LimitFetch = (method: string, url: string, headers: Record<string, string>, body: Uint8Array) => Promise<{ status: number; body: Uint8Array }>;

interface RunnableExports {
  memory: WebAssembly.Memory;
  allocate(size: number): number;
  deallocate(ptr: number, size: number): void;
  run_e(ptr: number, size: number, ident: number): void;
  asyncify_start_unwind?(data: number): void;
  asyncify_stop_unwind?(): void;
  asyncify_start_rewind?(data: number): void;
  asyncify_stop_rewind?(): void;
  asyncify_get_state?(): number;
}

/** Asyncifies `env.fetch_url` only (no metering). */
export function asyncifyFetch(bytes: Uint8Array): Uint8Array {
  const module = binaryen.readBinary(bytes);
  try {
    module.setFeatures(binaryen.Features.All);
    binaryen.setOptimizeLevel(1);
    binaryen.setPassArgument("asyncify-imports", "env.fetch_url");
    module.runPasses(["asyncify"]);
    binaryen.setPassArgument("asyncify-imports", null);
    return module.emitBinary();
  } finally {
    module.dispose();
  }
}

/** One instance in the caller's thread: the outcome imports, the FFI slot and (with `fetch`) fetch_url. */
export class InThreadRunnable {
  readonly #exports: RunnableExports;
  #data = 0;
  #result: Uint8Array | undefined;
  #error: string | undefined;
  #ffi: Uint8Array | undefined;
  #pending: Promise<number> | undefined;
  #rewindWith = 0;

  constructor(module: WebAssembly.Module, fetch: LimitFetch | undefined) {
    const memory = (): Uint8Array => new Uint8Array(this.#exports.memory.buffer);
    const text = (ptr: number, len: number): string => new TextDecoder().decode(memory().subarray(ptr, ptr + len));
    const env: Record<string, (...args: number[]) => number | void> = {
      return_result: (ptr, len) => void (this.#result = copyOut(memory(), ptr!, len!)),
      return_error: (_code, ptr, len) => void (this.#error = text(ptr!, len!)),
      get_ffi_result: (ptr) => {
        if (this.#ffi === undefined) return -1;
        memory().set(this.#ffi, ptr);
        this.#ffi = undefined;
        return 0;
      },
      fetch_url: (method, urlPtr, urlLen, bodyPtr, bodyLen) => {
        const exports = this.#exports;
        if (exports.asyncify_get_state!() === REWINDING) {
          exports.asyncify_stop_rewind!();
          return this.#rewindWith;
        }
        const [url, ...segments] = text(urlPtr!, urlLen!).split("::");
        const headers: Record<string, string> = {};
        for (const segment of segments) {
          const [key, value] = segment.split(":");
          headers[key!] = value!;
        }
        this.#pending = fetch!(METHODS[method!]!, url!, headers, copyOut(memory(), bodyPtr!, bodyLen!)).then(({ status, body }) => {
          this.#ffi = status > 299 ? new TextEncoder().encode(`${status}: ${new TextDecoder().decode(body)}`) : body;
          return status > 299 ? -this.#ffi.length : body.length;
        });
        const words = new Int32Array(exports.memory.buffer, this.#data, 2);
        words[0] = this.#data + 8;
        words[1] = this.#data + 2 * PAGE;
        exports.asyncify_start_unwind!(this.#data);
        return 0;
      },
    };
    // Every other import the module names: "not available".
    const imports: Record<string, unknown> = {};
    for (const imp of WebAssembly.Module.imports(module)) if (imp.module === "env" && imp.kind === "function") imports[imp.name] = env[imp.name] ?? (() => -1);
    this.#exports = new WebAssembly.Instance(module, { env: imports as WebAssembly.ModuleImports }).exports as unknown as RunnableExports;
    if (this.#exports.asyncify_get_state) this.#data = this.#exports.memory.grow(2) * PAGE;
  }

  /** Synchronous unless the job suspends on fetch_url: an echo's limit pays no promise. */
  run(input: Uint8Array, ident: number): Uint8Array | Promise<Uint8Array> {
    const exports = this.#exports;
    this.#result = undefined;
    this.#error = undefined;
    const ptr = exports.allocate(input.length);
    new Uint8Array(exports.memory.buffer).set(input, ptr);
    exports.run_e(ptr, input.length, ident);
    if (exports.asyncify_get_state?.() === UNWINDING) return this.#resume(input.length, ptr, ident);
    return this.#finish(ptr, input.length);
  }

  async #resume(len: number, ptr: number, ident: number): Promise<Uint8Array> {
    const exports = this.#exports;
    while (exports.asyncify_get_state!() === UNWINDING) {
      exports.asyncify_stop_unwind!();
      this.#rewindWith = await this.#pending!;
      exports.asyncify_start_rewind!(this.#data);
      exports.run_e(ptr, len, ident);
    }
    return this.#finish(ptr, len);
  }

  #finish(ptr: number, len: number): Uint8Array {
    this.#exports.deallocate(ptr, len);
    if (this.#error !== undefined) throw new Error(this.#error);
    return this.#result ?? new Uint8Array(0);
  }
}

export interface LimitOptions {
  instances: number;
  /** Also encode and decode the waSCC HTTP request and response, as the http_server contract does. */
  codec?: boolean;
  /** Given: the module is asyncified on fetch_url, which awaits this. */
  fetch?: LimitFetch;
}

/** A fastify server on `port` running `bytes` in-thread per request, the body as the job's input. */
export async function runnableLimitServer(bytes: Uint8Array, port: number, options: LimitOptions): Promise<{ close: () => Promise<unknown> }> {
  const module = new WebAssembly.Module((options.fetch ? asyncifyFetch(bytes) : bytes) as Uint8Array<ArrayBuffer>);
  const idle = Array.from({ length: options.instances }, () => new InThreadRunnable(module, options.fetch));
  const waiting: Array<(guest: InThreadRunnable) => void> = [];
  const requests = new Map<number, unknown>();
  let nextIdent = 0;
  const app = Fastify({ logger: false });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, done) => done(null, body));
  const send = (reply: FastifyReply, ran: Uint8Array): void => {
    let output = ran;
    if (options.codec) output = decodeHttpResponse(encodeHttpResponse({ statusCode: 200, status: "OK", header: {}, body: output })).body;
    void reply.code(200).send(Buffer.from(output.buffer, output.byteOffset, output.byteLength));
  };
  const release = (guest: InThreadRunnable, ident: number): void => {
    requests.delete(ident);
    const next = waiting.shift();
    if (next) next(guest);
    else idle.push(guest);
  };
  const serveOn = (
    guest: InThreadRunnable,
    request: FastifyRequest,
    reply: FastifyReply,
    ident: number,
    job: { method: string; url: string; headers: Record<string, string> },
  ): Promise<void> | undefined => {
    let ran: Uint8Array | Promise<Uint8Array>;
    try {
      let input = request.body instanceof Uint8Array ? request.body : new Uint8Array(0);
      if (options.codec)
        input = decodeHttpRequest(encodeHttpRequest({ method: job.method, path: job.url, queryString: "", header: job.headers, body: input })).body;
      ran = guest.run(input, ident);
    } catch (err) {
      release(guest, ident);
      throw err;
    }
    if (ran instanceof Promise) return ran.then((output) => send(reply, output)).finally(() => release(guest, ident));
    release(guest, ident);
    send(reply, ran);
    return undefined;
  };
  // Not async: a runnable that does not fetch answers in the request's turn, with no promise.
  const handler = (request: FastifyRequest, reply: FastifyReply): Promise<void> | undefined => {
    // What a Reactr host builds per request, whether the runnable reads it or not.
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers))
      if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value[0]! : value;
    const job = { method: request.method, url: request.raw.url ?? "/", id: randomUUID(), headers };
    const ident = (nextIdent = (nextIdent + 1) & 0x7fffffff);
    requests.set(ident, job); // the ident -> request table the imports would read
    const guest = idle.pop();
    if (!guest) return new Promise<InThreadRunnable>((resolve) => waiting.push(resolve)).then((g) => serveOn(g, request, reply, ident, job));
    return serveOn(guest, request, reply, ident, job);
  };
  app.route({ method: ["GET", "POST"], url: "/*", handler });
  await app.listen({ port, host: "127.0.0.1" });
  return app;
}
