/**
 * Bundles over HTTP (docs/directive.md, "Running a bundle"): a Directive's sequences served by
 * a BundleRunner (wascc:http_server, the DirectiveApp, one Job invocation per step on metered
 * instances) against their no-isolation limit: a fastify handler running the same modules
 * in-thread in the same steps, with only the imports they use (results, headers, state reads)
 * wired to plain JavaScript and no codec between steps. Rows:
 * - a 3-step handler: fn → group of 2 → fn;
 * - a forEach over 100 elements (JSON array in, one call per element, JSON array out);
 * - a schedule's start delay, idle and while the 3-step handler is under load; the target is
 *   p99 ≤ 50 ms. Measured from the run's grid time to its function *running*: the scheduled
 *   function (`log-it`) logs first thing, and the time its line reaches the host's logger
 *   (wascc:logging, a synchronous pino destination here) is its start. So the delay counts
 *   the timer firing late, the work before the step and any wait for an instance. Its
 *   baseline is a bare timer on the same 50 ms grid (offset by half a period) in the same
 *   process at the same time: how late Node itself runs a callback on this machine then.
 * Each function runs 2 instances (the limit has 1 per module). The limit handles each request
 * in its own turn (no async handler, no promise): every call answers at once, as wactor's
 * direct calls do. Both sides run in alternation, PAIRS runs each (bench/paired.ts).
 */
import { randomUUID } from "node:crypto";
import Fastify, { type FastifyReply, type FastifyRequest } from "fastify";
import { pino } from "pino";
import { KeyPair } from "../dist/src/claims/nkeys.js";
import { loadBundle } from "../dist/src/bundle/load.js";
import { signBundle } from "../dist/src/bundle/sign.js";
import { writeBundleEntries } from "../dist/src/bundle/write.js";
import { BundleRunner } from "../dist/src/bundle/run/bundle-runner.js";
import { ScheduleTimer } from "../dist/src/bundle/run/schedule-timer.js";
import { Host } from "../dist/src/mod.js";
// The limit copies out of guest memory as wactor does (docs/runtime.md, "Fuel on back edges, and copies out of guest memory").
import { copyOut } from "../dist/src/runtime/copy-out.js";
import { unsignedRunnable } from "../test/helpers/runnables.js";
import { freePort } from "../test/helpers/servers.js";
import { load, rows } from "./http.js";
import { PAIRS, paired } from "./paired.js";
import type { Row } from "./runtime.js";
import { fmt, percentile } from "./stats.js";

const FUNCTIONS = ["helloworld-rs", "modify-url", "set-array", "run-each"];
/** Scheduled only: the limit has no schedules, so it does not load it. */
const SCHEDULED = "log-it";
const DIRECTIVE = `identifier: com.example.bench
appVersion: v0.1.0
atmoVersion: v0.4.0
runnables:
${[...FUNCTIONS, SCHEDULED].map((f) => `  - { name: ${f}, namespace: default }`).join("\n")}
handlers:
  - type: request
    method: POST
    resource: /three
    steps:
      - { fn: helloworld-rs, as: first }
      - group: [ { fn: modify-url, as: a }, { fn: set-array, as: b } ]
      - { fn: helloworld-rs, as: last }
  - type: request
    method: POST
    resource: /each
    steps:
      - fn: set-array
      - forEach: { in: set-array, fn: run-each, as: out }
schedules:
  - { name: tick, every: { days: 1 }, steps: [ { fn: ${SCHEDULED} } ] }
`;
const ELEMENTS = JSON.stringify(Array.from({ length: 100 }, (_, i) => ({ name: `p${i}` })));
const utf8 = new TextEncoder();
/** One decoder for the limit's imports and JSON (a new one per call would be work wactor does not do). */
const utf8Text = new TextDecoder();

interface Exports {
  memory: WebAssembly.Memory;
  allocate(size: number): number;
  deallocate(ptr: number, size: number): void;
  run_e(ptr: number, size: number, ident: number): void;
}

/** One instance in the caller's thread with the imports the bench's runnables use. */
class InThread {
  readonly #exports: Exports;
  #result: Uint8Array | undefined;
  #error: string | undefined;
  #slot: Uint8Array | undefined;
  #state: Map<string, Uint8Array> = new Map();
  #headers: Record<string, string> = {};

  constructor(module: WebAssembly.Module) {
    const mem = (): Uint8Array => new Uint8Array(this.#exports.memory.buffer);
    const text = (ptr: number, len: number): string => utf8Text.decode(mem().subarray(ptr, ptr + len));
    const env: Record<string, (...args: number[]) => number | void> = {
      return_result: (ptr, len) => void (this.#result = copyOut(mem(), ptr, len)),
      return_error: (_code, ptr, len) => void (this.#error = text(ptr, len)),
      return_abort: () => void (this.#error = "abort"),
      resp_set_header: (kp, kl, vp, vl) => void (this.#headers[text(kp, kl)] = text(vp, vl)),
      // Only state (field type 4) is read by these runnables.
      request_get_field: (type, kp, kl) => {
        if (type !== 4) return -1;
        this.#slot = this.#state.get(text(kp, kl)) ?? new Uint8Array(0);
        return this.#slot.length;
      },
      get_ffi_result: (ptr) => {
        mem().set(this.#slot ?? new Uint8Array(0), ptr);
        this.#slot = undefined;
        return 0;
      },
    };
    this.#exports = new WebAssembly.Instance(module, { env }).exports as unknown as Exports;
  }

  run(input: Uint8Array, state: Map<string, Uint8Array>, headers: Record<string, string>): Uint8Array {
    const e = this.#exports;
    this.#result = undefined;
    this.#error = undefined;
    this.#state = state;
    this.#headers = headers;
    const ptr = e.allocate(input.length);
    new Uint8Array(e.memory.buffer).set(input, ptr);
    e.run_e(ptr, input.length, 1);
    e.deallocate(ptr, input.length);
    if (this.#error !== undefined) throw new Error(this.#error);
    return this.#result ?? new Uint8Array(0);
  }
}

/** Sorted keys, as the engine re-serializes forEach results. */
function sortedJson(value: Record<string, unknown>): string {
  return JSON.stringify(
    Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, value[k]]),
    ),
  );
}

async function limitServer(port: number): Promise<{ close: () => Promise<unknown> }> {
  const fns = new Map(FUNCTIONS.map((f) => [f, new InThread(new WebAssembly.Module(unsignedRunnable(f) as Uint8Array<ArrayBuffer>))]));
  const fn = (name: string): InThread => fns.get(name)!;
  const app = Fastify({ logger: false });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, done) => done(null, body));
  // Not async: every call answers at once, so the request is answered in its own turn, with no promise.
  const send = (reply: FastifyReply, headers: Record<string, string>, body: Uint8Array): void =>
    void reply
      .code(200)
      .headers({ "content-type": "application/octet-stream", ...headers })
      .send(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  app.post("/three", (request: FastifyRequest, reply) => {
    void randomUUID(); // a request id, as every sequence gets
    const body = request.body as Uint8Array;
    const state = new Map<string, Uint8Array>();
    const headers: Record<string, string> = {};
    state.set("first", fn("helloworld-rs").run(body, state, headers));
    const a = fn("modify-url").run(body, state, headers);
    const b = fn("set-array").run(body, state, headers);
    state.set("a", a).set("b", b);
    state.set("last", fn("helloworld-rs").run(body, state, headers));
    send(reply, headers, state.get("last")!);
  });
  app.post("/each", (request: FastifyRequest, reply) => {
    void randomUUID();
    const body = request.body as Uint8Array;
    const state = new Map<string, Uint8Array>();
    const headers: Record<string, string> = {};
    state.set("set-array", fn("set-array").run(body, state, headers));
    const elements = JSON.parse(utf8Text.decode(state.get("set-array"))) as unknown[];
    const results = elements.map((element) => {
      const elementState = new Map(state).set("__elem", utf8.encode(JSON.stringify(element)));
      return sortedJson(JSON.parse(utf8Text.decode(fn("run-each").run(body, elementState, {}))) as Record<string, unknown>);
    });
    send(reply, headers, utf8.encode(`[${results.join(",")}]`));
  });
  await app.listen({ port, host: "127.0.0.1" });
  return app;
}

/**
 * When the scheduled function runs: the host's log lines from its first `log_msg` of each run
 * (the function logs first thing), timestamped as pino hands them to this destination.
 */
class StartClock {
  #due: number | undefined;
  readonly delays: number[] = [];

  /** The run's grid time, told by the timer as it fires. */
  fired(due: number): void {
    this.#due = due;
  }

  write(line: string): void {
    if (this.#due === undefined || !line.includes(`::${SCHEDULED}"`)) return;
    this.delays.push(performance.now() - this.#due);
    this.#due = undefined; // its second line ("running on a schedule") is not a start
  }
}

/**
 * Start delays (ms) of a 50 ms schedule running the bundle's `tick` sequence for `ms`, and the
 * lateness of a bare timer on the same grid half a period later (nothing to run: Node's share).
 */
async function scheduleDelays(runner: BundleRunner, clock: StartClock, ms: number): Promise<{ wactor: number[]; bare: number[] }> {
  clock.delays.length = 0;
  const bare: number[] = [];
  const timer = new ScheduleTimer([{ name: "tick", periodMs: 50 }], async (name) => void (await runner.app!.runSchedule(name)), {
    firstAfterMs: 50,
    onStarted: (_n, late) => clock.fired(performance.now() - late),
  });
  const bareTimer = new ScheduleTimer([{ name: "bare", periodMs: 50 }], async () => undefined, { firstAfterMs: 75, onStarted: (_n, late) => bare.push(late) });
  timer.start();
  bareTimer.start();
  await new Promise((r) => setTimeout(r, ms));
  await Promise.all([timer.stop(), bareTimer.stop()]);
  const sorted = (xs: number[]): number[] => [...xs].sort((x, y) => x - y);
  return { wactor: sorted(clock.delays), bare: sorted(bare) };
}

export async function bundlesBench(): Promise<Row[]> {
  const out: Row[] = [];
  const clock = new StartClock();
  const host = new Host({ logger: pino({ level: "info" }, clock) });
  const servers: Array<{ close: () => Promise<unknown> }> = [];
  try {
    const entries = new Map<string, Uint8Array>([["Directive.yaml", utf8.encode(DIRECTIVE)]]);
    for (const f of [...FUNCTIONS, SCHEDULED]) entries.set(`${f}.wasm`, unsignedRunnable(f));
    const signed = await signBundle(writeBundleEntries(entries), "bench.wasm.zip", {
      issuer: KeyPair.create("account"),
      capsByFunction: { [SCHEDULED]: ["wascc:logging"] },
    });
    const ours = await freePort();
    const runner = new BundleRunner(host, await loadBundle(signed.bytes, "bench.wasm.zip"), { http: { port: ours }, runSchedules: false, instances: 2 });
    await runner.start();
    const limitPort = await freePort();
    servers.push(await limitServer(limitPort));

    // Both sides must answer the same bytes, or the comparison means nothing.
    for (const [path, body] of [
      ["/three", "world"],
      ["/each", ELEMENTS],
    ] as const) {
      const [limit, wactor] = await Promise.all(
        [limitPort, ours].map(async (port) => (await fetch(`http://127.0.0.1:${port}${path}`, { method: "POST", body })).text()),
      );
      if (limit !== wactor) throw new Error(`bundles bench: ${path} answers differ:\n${limit}\n${wactor}`);
    }
    // Each side in alternation, PAIRS runs each (bench/paired.ts): the machine's load drifts.
    const three = ["-m", "POST", "-b", "world"];
    const [limitThree, wactorThree] = await paired(`http://127.0.0.1:${limitPort}/three`, `http://127.0.0.1:${ours}/three`, three);
    out.push(
      ...rows(
        `3-step handler (fn → group of 2 → fn): fastify calling the modules in-thread vs wactor, ${PAIRS} alternating runs each`,
        limitThree,
        wactorThree,
      ),
    );

    const each = ["-m", "POST", "-b", ELEMENTS, "-H", "content-type=application/json"];
    const [limitEach, wactorEach] = await paired(`http://127.0.0.1:${limitPort}/each`, `http://127.0.0.1:${ours}/each`, each);
    out.push(...rows(`forEach over 100 elements: fastify calling the module in-thread vs wactor, ${PAIRS} alternating runs each`, limitEach, wactorEach));

    const idle = await scheduleDelays(runner, clock, 3000);
    const [, busy] = await Promise.all([load(`http://127.0.0.1:${ours}/three`, three), scheduleDelays(runner, clock, 3000)]);

    const p = (xs: number[], q: number): string => fmt(percentile(xs, q), 1);
    for (const [when, d] of [
      ["idle", idle],
      ["while the 3-step handler is under load", busy],
    ] as const) {
      out.push({
        what: `schedule start delay p50 / p99 (ms), 50 ms period, ${when}: a bare timer on the same grid (${d.bare.length} runs) vs grid time → the function running (${d.wactor.length} runs)`,
        baseline: `${p(d.bare, 50)} / ${p(d.bare, 99)}`,
        wactor: `${p(d.wactor, 50)} / ${p(d.wactor, 99)}`,
        ratio: "target p99 ≤ 50",
      });
    }
    await runner.stop();
  } finally {
    for (const s of servers) await s.close();
    await host.shutdown();
  }
  return out;
}
