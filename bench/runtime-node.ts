/**
 * The runtime on the Node it runs on (issue 27, docs/runtime.md "Suspension by JSPI"): the
 * two ways of suspending a guest, JSPI and the asyncify fallback, side by side in one run,
 * each against the same baseline measured in the same run, rounds interleaved.
 *
 * - the guest's own speed: the AssemblyScript echo's HandleRequest and the Rust one's
 *   (actors/echo-rs), plain against each instrumented form (and JSPI's fuel counter alone,
 *   called without `promising`);
 * - a new distinct module from a cold transform cache until its first instance is ready;
 * - HTTP echo, the Rust echo and kvcounter against their no-isolation limit (no-isolation.ts);
 * - a healthy HTTP echo beside a looping actor hit by 4 HTTP clients, against echo alone.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { pino } from "pino";
import { createBuiltinProvider } from "../dist/capabilities/mod.js";
import { moduleHash } from "../dist/src/claims/hash.js";
import { encodeHttpRequest } from "../dist/src/codec/mod.js";
import { Host } from "../dist/src/mod.js";
import { compileActorModule } from "../dist/src/runtime/compile-actor.js";
import { MeteredGuest } from "../dist/src/runtime/metered/metered-guest.js";
import { jspi, suspensionMode, type SuspensionMode } from "../dist/src/runtime/suspension.js";
import { instrumentedModule } from "../dist/src/runtime/transform/transform-cache.js";
import { freePort, startRedis } from "../scripts/lib/servers.js";
import { actor } from "../test/helpers/actors.js";
import { load, type Load } from "./http.js";
import { InThreadActor, limitServer } from "./no-isolation.js";
import type { Row } from "./runtime.js";
import { bestOf, fmt, percentile, sequentialRate } from "./stats.js";

const MODES: SuspensionMode[] = jspi ? ["jspi", "asyncify"] : ["asyncify"];
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const ROUNDS_IN_PROCESS = 9;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const AUTOCANNON = fileURLToPath(new URL("../node_modules/autocannon/autocannon.js", import.meta.url));
const run = promisify(execFile);
const HANDLE_REQUEST = new TextEncoder().encode("HandleRequest");
const REQUEST = encodeHttpRequest({ method: "GET", path: "/bench", queryString: "", header: { host: "127.0.0.1" }, body: new Uint8Array(0) });

/** Starts what `start` starts with new modules instrumented for `mode` (suspension.ts reads it per start). */
async function inMode<T>(mode: SuspensionMode, start: () => Promise<T>): Promise<T> {
  process.env.WACTOR_SUSPENSION = mode;
  try {
    return await start();
  } finally {
    delete process.env.WACTOR_SUSPENSION;
  }
}

/**
 * A module's entry called synchronously with the leanest imports that serve echo: the plain
 * module (the baseline), or a JSPI-instrumented one outside its serve loop, which is what its
 * fuel counter and trampolines alone cost the guest (echo never suspends).
 */
function direct(module: WebAssembly.Module): () => void {
  let memory!: WebAssembly.Memory;
  let fuel: WebAssembly.Global | undefined;
  let response = new Uint8Array(0);
  const instance = new WebAssembly.Instance(module, {
    wapc: {
      __guest_request: (op: number, msg: number) => {
        const bytes = new Uint8Array(memory.buffer);
        bytes.set(HANDLE_REQUEST, op);
        bytes.set(REQUEST, msg);
      },
      __guest_response: (ptr: number, len: number) => void (response = new Uint8Array(memory.buffer).slice(ptr, ptr + len)),
      __guest_error: () => undefined,
      __host_call: () => 0,
      __host_response_len: () => 0,
      __host_response: () => undefined,
      __host_error_len: () => 0,
      __host_error: () => undefined,
      __console_log: () => undefined,
    },
    env: {
      abort: () => {
        throw new Error("abort");
      },
    },
    ...(jspi && {
      wactor: {
        tick: () => void (fuel!.value = 5000),
        wait: new jspi.Suspending(() => 0) as WebAssembly.ImportValue,
        next: new jspi.Suspending(() => undefined) as WebAssembly.ImportValue,
        arg: () => 0,
        done: () => undefined,
      },
    }),
  });
  const exports = instance.exports as {
    memory: WebAssembly.Memory;
    __wactor_fuel?: WebAssembly.Global;
    __guest_call: (a: number, b: number) => number;
    _start?: () => void;
  };
  memory = exports.memory;
  fuel = exports.__wactor_fuel;
  exports._start?.();
  return () => {
    if (exports.__guest_call(HANDLE_REQUEST.length, REQUEST.length) !== 1 || response.length === 0) throw new Error("echo failed");
  };
}

/**
 * Calls per second of this process's CPU time, not of the wall clock: the machine is shared,
 * and a neighbour taking the core stops the clock's count but not the CPU's.
 */
async function cpuRate(fn: () => unknown, maxMs = 1000): Promise<{ perSecond: number; count: number }> {
  const before = process.cpuUsage();
  const { count } = await sequentialRate(fn, 1_000_000, maxMs);
  const used = process.cpuUsage(before);
  return { perSecond: count / ((used.user + used.system) / 1e6), count };
}

async function guestSpeed(name: "echo" | "echo-rs"): Promise<Row[]> {
  const bytes = new Uint8Array(readFileSync(actor(name).path));
  const hash = moduleHash(bytes);
  const dir = mkdtempSync(join(tmpdir(), "wactor-bench-"));
  const plain = direct(await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>));
  const capped = direct((await compileActorModule(bytes, 64 * 1024 * 1024)).module);
  const hooks = { hostCall: () => ({ ok: false as const, error: "none" }), tick: () => "run" as const };
  const measures: Record<string, () => Promise<{ perSecond: number; count: number }>> = {
    plain: () => cpuRate(plain),
    capped: () => cpuRate(capped),
  };
  for (const mode of MODES) {
    const instrumented = (await instrumentedModule(bytes, hash, dir, "wapc", mode)).bytes;
    const { module } = await compileActorModule(instrumented, 64 * 1024 * 1024);
    const guest = MeteredGuest.create(module, hooks);
    measures[mode] = () => cpuRate(() => guest.begin(HANDLE_REQUEST, REQUEST));
    if (mode === "jspi") measures["jspi-counter"] = () => cpuRate(direct(module));
  }
  const best = await bestOf(ROUNDS_IN_PROCESS, measures);
  const base = best.plain!.perSecond;
  const label: Record<string, string> = {
    capped: "the plain module with the memory ceiling written into it (64 MiB)",
    "jspi-counter": "JSPI module called the same way: its fuel counter and trampolines alone",
    jspi: "JSPI module through the metered guest (each call resumes the instance's serve loop)",
    asyncify: "asyncify module through the metered guest (the fallback)",
  };
  return Object.keys(measures)
    .filter((k) => k !== "plain")
    .map((k) => ({
      what: `guest speed, ${name === "echo" ? "echo" : "Rust echo"} HandleRequest in-process (calls per CPU second, best of ${ROUNDS_IN_PROCESS} interleaved): plain module called directly vs ${label[k]}`,
      baseline: fmt(base),
      wactor: fmt(best[k]!.perSecond),
      ratio: fmt(best[k]!.perSecond / base, 2),
    }));
}

/** A copy of `bytes` with its own code hash (a custom section naming `n`), as a new actor build is. */
function distinct(bytes: Uint8Array, n: number): Uint8Array {
  const name = new TextEncoder().encode(`build-${n}-${Date.now()}`);
  return new Uint8Array([...bytes, 0, name.length + 1, name.length, ...name]);
}

async function coldStart(): Promise<Row[]> {
  const bytes = new Uint8Array(readFileSync(actor("echo").path));
  const dir = mkdtempSync(join(tmpdir(), "wactor-bench-"));
  const hooks = { hostCall: () => ({ ok: false as const, error: "none" }), tick: () => "run" as const };
  const transformMs = new Map<SuspensionMode, number[]>(MODES.map((m) => [m, []]));
  const ready = async (copy: Uint8Array, mode: SuspensionMode): Promise<number> => {
    const started = performance.now();
    const { bytes: instrumented, report } = await instrumentedModule(copy, moduleHash(copy), dir, "wapc", mode);
    if (report) transformMs.get(mode)!.push(report.ms);
    const { module } = await compileActorModule(instrumented, 64 * 1024 * 1024);
    MeteredGuest.create(module, hooks);
    return performance.now() - started;
  };
  await ready(distinct(bytes, -1), MODES[0]!); // starts the transform worker
  const cold = new Map<SuspensionMode, number[]>(MODES.map((m) => [m, []]));
  const warm = new Map<SuspensionMode, number[]>(MODES.map((m) => [m, []]));
  for (let i = 0; i < 12; i++) {
    for (const mode of MODES) {
      const copy = distinct(bytes, i);
      cold.get(mode)!.push(await ready(copy, mode));
      warm.get(mode)!.push(await ready(copy, mode)); // from the disk cache now
    }
  }
  const p50 = (samples: number[]): number =>
    percentile(
      [...samples].sort((a, b) => a - b),
      50,
    );
  return MODES.map((mode) => ({
    what: `a new distinct AssemblyScript echo (${(bytes.length / 1024).toFixed(0)} KiB), cold transform cache -> first instance ready, p50 of 12 (ms; baseline: the same from the disk cache; ratio column: the transform's own time in its worker), ${mode}`,
    baseline: fmt(p50(warm.get(mode)!), 1),
    wactor: fmt(p50(cold.get(mode)!), 1),
    ratio: `transform ${fmt(p50(transformMs.get(mode)!), 1)}`,
  }));
}

/** An HTTP actor on a host of its own, started in `mode`. */
async function httpActor(
  name: string,
  mode: SuspensionMode,
  redisUrl: string,
  options: { instances: number; deadlineMs?: number },
): Promise<{ host: Host; port: number }> {
  const host = new Host({ logger: pino({ level: "silent" }) });
  await host.addProvider(createBuiltinProvider("wascc:http_server"));
  await host.addProvider(createBuiltinProvider("wascc:keyvalue"));
  const built = actor(name);
  const key = (await inMode(mode, () => host.startActor(built.signedPath, options))).key;
  const port = await freePort();
  await host.bind(key, "wascc:http_server", "default", { PORT: String(port) });
  if (built.caps.includes("wascc:keyvalue")) await host.bind(key, "wascc:keyvalue", "default", { URL: redisUrl });
  return { host, port };
}

const httpRows = (what: string, base: Load, ours: Load[]): Row => ({
  what,
  baseline: fmt(base.rps),
  wactor: fmt(ours.reduce((s, l) => s + l.rps, 0) / ours.length),
  ratio: `${fmt(ours.reduce((s, l) => s + l.rps, 0) / ours.length / base.rps, 2)} (CPU ${fmt(base.cpuUs / (ours.reduce((s, l) => s + l.cpuUs, 0) / ours.length), 2)})`,
});

async function httpAgainstLimits(redisUrl: string): Promise<Row[]> {
  const out: Row[] = [];
  for (const [name, path, instances] of [
    ["echo", "/bench", 2],
    ["echo-rs", "/bench", 2],
    ["kvcounter", "/counter", 16],
  ] as const) {
    const hosts = new Map<SuspensionMode, { host: Host; port: number }>();
    for (const mode of MODES) hosts.set(mode, await httpActor(name, mode, redisUrl, { instances }));
    const built = actor(name);
    const kv = createBuiltinProvider("wascc:keyvalue");
    const identity = { key: built.publicKey, issuer: "", caps: built.caps };
    await kv.start({ logger: pino({ level: "silent" }), deliver: () => Promise.reject(new Error("no deliveries")) });
    if (built.caps.includes("wascc:keyvalue")) await kv.bind(identity, "default", { URL: redisUrl });
    const limitPort = await freePort();
    const limit = await limitServer(
      new InThreadActor(new Uint8Array(readFileSync(built.signedPath)), instances, (_b, _n, operation, payload) =>
        kv.handleCall({ actor: identity, binding: "default", operation, payload }),
      ),
      limitPort,
    );
    const results = new Map<string, Load[]>();
    for (let round = 0; round < ROUNDS; round++) {
      const order: Array<[string, number]> = [["limit", limitPort], ...MODES.map((m) => [m, hosts.get(m)!.port] as [string, number])];
      for (const [which, port] of order) {
        const result = await load(`http://127.0.0.1:${port}${path}`);
        results.set(which, [...(results.get(which) ?? []), result]);
      }
    }
    for (const mode of MODES) {
      const limitMean = {
        ...results.get("limit")![0]!,
        rps: mean(results.get("limit")!.map((l) => l.rps)),
        cpuUs: mean(results.get("limit")!.map((l) => l.cpuUs)),
      };
      out.push(
        httpRows(
          `HTTP ${name} (${instances} instances), ${mode}: no-isolation limit vs wactor, req/s, mean of ${ROUNDS} interleaved ${SECONDS} s runs (per run: ${results
            .get(mode)!
            .map((l) => fmt(l.rps))
            .join(", ")} vs limit ${results
            .get("limit")!
            .map((l) => fmt(l.rps))
            .join(", ")})`,
          limitMean,
          results.get(mode)!,
        ),
      );
    }
    await limit.close();
    await kv.stop();
    for (const { host } of hosts.values()) await host.shutdown();
  }
  return out;
}

const mean = (values: number[]): number => values.reduce((s, v) => s + v, 0) / values.length;

/** Healthy echo over HTTP alone, then beside the looper (deadline 200 ms) hit by 4 HTTP clients. */
async function httpBesideLooper(redisUrl: string): Promise<Row[]> {
  const out: Row[] = [];
  for (const mode of MODES) {
    const echo = await httpActor("echo", mode, redisUrl, { instances: 2 });
    const looper = await httpActor("looper", mode, redisUrl, { instances: 1, deadlineMs: 200 });
    const alone: Load[] = [];
    const beside: Load[] = [];
    let attacks = 0;
    for (let round = 0; round < ROUNDS; round++) {
      alone.push(await load(`http://127.0.0.1:${echo.port}/bench`));
      const attack = run(process.execPath, [AUTOCANNON, "-c", "4", "-d", String(SECONDS + 3), "--json", `http://127.0.0.1:${looper.port}/`], {
        maxBuffer: 16 * 1024 * 1024,
      });
      beside.push(await load(`http://127.0.0.1:${echo.port}/bench`));
      const { stdout } = await attack;
      attacks += (JSON.parse(stdout) as { requests: { total: number } }).requests.total;
    }
    out.push(
      httpRows(
        `HTTP echo beside a looping actor (deadline 200 ms, 4 HTTP clients; ${attacks} looper requests answered), ${mode}: echo alone vs beside it, req/s, mean of ${ROUNDS} (per run: ${beside.map((l) => fmt(l.rps)).join(", ")} vs alone ${alone.map((l) => fmt(l.rps)).join(", ")})`,
        { ...alone[0]!, rps: mean(alone.map((l) => l.rps)), cpuUs: mean(alone.map((l) => l.cpuUs)) },
        beside,
      ),
    );
    await echo.host.shutdown();
    await looper.host.shutdown();
  }
  return out;
}

export async function runtimeNodeBench(): Promise<Row[]> {
  const rows: Row[] = [
    { what: "engine", baseline: `Node ${process.version}`, wactor: `V8 ${process.versions.v8}`, ratio: `default suspension: ${suspensionMode()}` },
  ];
  const parts = (process.env.BENCH_PARTS ?? "speed,cold,http,looper").split(",");
  if (parts.includes("speed")) for (const name of ["echo", "echo-rs"] as const) rows.push(...(await guestSpeed(name)));
  if (parts.includes("cold")) rows.push(...(await coldStart()));
  if (!parts.includes("http") && !parts.includes("looper")) return rows;
  const redis = await startRedis();
  try {
    if (parts.includes("http")) rows.push(...(await httpAgainstLimits(redis.url)));
    if (parts.includes("looper")) rows.push(...(await httpBesideLooper(redis.url)));
  } finally {
    await redis.stop();
  }
  return rows;
}
