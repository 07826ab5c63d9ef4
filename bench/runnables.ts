/**
 * Reactr runnables over HTTP (docs/runnables.md): a runnable echo served by wactor (the
 * http_server provider, HandleRequest, a metered instance on the host thread) against its
 * no-isolation limit: the same module called in-thread by a fastify handler that does only
 * what any Reactr host must per request (the request's fields, a fresh request id, allocate,
 * run_e, read the result, deallocate). The echo makes no host call, so the limit is not
 * asyncified. A second limit adds the waSCC HTTP codec the http_server contract puts on every
 * request (encode and decode of the request and of the response), as the actor rows' limits
 * do: what is left between it and wactor is what isolation costs.
 */
import { randomUUID } from "node:crypto";
import Fastify, { type FastifyReply, type FastifyRequest } from "fastify";
import { pino } from "pino";
import { createBuiltinProvider } from "../dist/capabilities/mod.js";
import { decodeHttpRequest, decodeHttpResponse, encodeHttpRequest, encodeHttpResponse } from "../dist/src/codec/mod.js";
import { Host } from "../dist/src/mod.js";
import { echoRunnable, signedRunnable } from "../test/helpers/runnable-guests.js";
import { freePort } from "../test/helpers/servers.js";
import { load, rows } from "./http.js";
import type { Row } from "./runtime.js";

const INSTANCES = 2;
const BODY = ["-m", "POST", "-b", "hello, runnable"];

interface RunnableExports {
  memory: WebAssembly.Memory;
  allocate(size: number): number;
  deallocate(ptr: number, size: number): void;
  run_e(ptr: number, size: number, ident: number): void;
}

/** One instance in the caller's thread: only return_result and return_error are wired. */
class InThreadRunnable {
  readonly #exports: RunnableExports;
  #result: Uint8Array | undefined;
  #error: string | undefined;

  constructor(module: WebAssembly.Module) {
    const memory = (): Uint8Array => new Uint8Array(this.#exports.memory.buffer);
    const instance = new WebAssembly.Instance(module, {
      env: {
        return_result: (ptr: number, len: number) => void (this.#result = memory().slice(ptr, ptr + len)),
        return_error: (_code: number, ptr: number, len: number) => void (this.#error = new TextDecoder().decode(memory().subarray(ptr, ptr + len))),
      },
    });
    this.#exports = instance.exports as unknown as RunnableExports;
  }

  run(input: Uint8Array, ident: number): Uint8Array {
    const exports = this.#exports;
    this.#result = undefined;
    this.#error = undefined;
    const ptr = exports.allocate(input.length);
    new Uint8Array(exports.memory.buffer).set(input, ptr);
    exports.run_e(ptr, input.length, ident);
    exports.deallocate(ptr, input.length);
    if (this.#error !== undefined) throw new Error(this.#error);
    return this.#result ?? new Uint8Array(0);
  }
}

async function limitServer(bytes: Uint8Array, port: number, codec: boolean): Promise<{ close: () => Promise<unknown> }> {
  const module = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  const idle = Array.from({ length: INSTANCES }, () => new InThreadRunnable(module));
  const requests = new Map<number, unknown>();
  let nextIdent = 0;
  const app = Fastify({ logger: false });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, done) => done(null, body));
  const handler = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    // What a Reactr host builds per request, whether the runnable reads it or not.
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value[0]! : value;
    const job = { method: request.method, url: request.raw.url ?? "/", id: randomUUID(), headers };
    const ident = (nextIdent = (nextIdent + 1) & 0x7fffffff);
    requests.set(ident, job); // the ident -> request table the imports would read
    const guest = idle.pop()!; // synchronous: the instance is back before the next request
    try {
      let input = request.body instanceof Uint8Array ? request.body : new Uint8Array(0);
      if (codec) input = decodeHttpRequest(encodeHttpRequest({ method: job.method, path: job.url, queryString: "", header: headers, body: input })).body;
      let output = guest.run(input, ident);
      if (codec) output = decodeHttpResponse(encodeHttpResponse({ statusCode: 200, status: "OK", header: {}, body: output })).body;
      await reply.code(200).send(Buffer.from(output.buffer, output.byteOffset, output.byteLength));
    } finally {
      requests.delete(ident);
      idle.push(guest);
    }
  };
  app.route({ method: ["GET", "POST"], url: "/*", handler });
  await app.listen({ port, host: "127.0.0.1" });
  return app;
}

export async function runnablesBench(): Promise<Row[]> {
  const out: Row[] = [];
  const host = new Host({ logger: pino({ level: "silent" }) });
  const servers: Array<{ close: () => Promise<unknown> }> = [];
  try {
    await host.addProvider(createBuiltinProvider("wascc:http_server"));
    const plain = echoRunnable();
    const { bytes } = await signedRunnable(plain, { caps: ["wascc:http_server"], name: "runnable-echo" });
    const key = (await host.startActor(bytes, { instances: INSTANCES })).key;
    const ours = await freePort();
    await host.bind(key, "wascc:http_server", "default", { PORT: String(ours) });
    const [limitPort, codecPort] = [await freePort(), await freePort()];
    servers.push(await limitServer(plain, limitPort, false), await limitServer(plain, codecPort, true));
    const limit = await load(`http://127.0.0.1:${limitPort}/run`, BODY);
    const withCodec = await load(`http://127.0.0.1:${codecPort}/run`, BODY);
    const wactor = await load(`http://127.0.0.1:${ours}/run`, BODY);
    out.push(...rows("HTTP runnable echo (POST, no host call): no-isolation limit vs wactor", limit, wactor));
    out.push(...rows("HTTP runnable echo: the limit with the waSCC HTTP codec (as the actor rows) vs wactor", withCodec, wactor));
    // fetch_url row: needs the wascc:http_client provider (capabilities/http-client, built on
    // another branch). Once it is in, add: a runnable calling fetch_url on a local fastify
    // server per request, against the same call made by a fastify handler with fetch().
  } finally {
    for (const s of servers) await s.close();
    await host.shutdown();
  }
  return out;
}
