/**
 * HTTP benchmarks with autocannon, each actor against its no-isolation limit measured in the
 * same run (no-isolation.ts: the same module, same codec, called in-thread by a fastify
 * handler; asyncified with the same instance count when it makes host calls, against the same
 * providers and Redis). Bare fastify and fastify + ioredis are shown for reference: they never
 * run the actor, so they are no limit for it. The actor rows run pinned (bench/pinning.ts), the
 * executor's excepted.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import Fastify from "fastify";
import { Redis } from "ioredis";
import { pino } from "pino";
import { createBuiltinProvider } from "../dist/capabilities/mod.js";
import { Host } from "../dist/src/mod.js";
import type { CapabilityProvider } from "../dist/src/provider/contract.js";
import { actor } from "../test/helpers/actors.js";
import { freePort, startRedis } from "../scripts/lib/servers.js";
import { InThreadActor, limitServer, type LimitHostCall } from "./no-isolation.js";
import { fmt } from "./stats.js";
import { PAIRS, paired } from "./paired.js";
import { onLoadCpu, withServerPinned } from "./pinning.js";
import type { Row } from "./runtime.js";

const CONNECTIONS = 50;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
/** Instances of an I/O-bound actor, on both sides. */
const IO_INSTANCES = Number(process.env.BENCH_IO_INSTANCES ?? 16);

const AUTOCANNON = fileURLToPath(new URL("../node_modules/autocannon/autocannon.js", import.meta.url));
const run = promisify(execFile);

interface AutocannonJson {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  errors: number;
  timeouts: number;
  non2xx: number;
}

/** autocannon in its own process, so the load generator does not share the server's thread. */
async function autocannon(url: string, seconds: number, extra: string[], pinned: boolean): Promise<AutocannonJson> {
  const [command, args] = onLoadCpu([process.execPath, AUTOCANNON, "-c", String(CONNECTIONS), "-d", String(seconds), "--json", ...extra, url], pinned);
  const { stdout } = await run(command, args, { maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(stdout) as AutocannonJson;
}

/** `cpuUs`: this process's CPU time (user + system, all threads) per request while serving. */
export type Load = { rps: number; p50: number; p99: number; errors: number; cpuUs: number };

/**
 * Every server measured here runs in this process and the load generator in another, so this
 * process's CPU time over the run is the server's: per request, it is steadier than req/s on a
 * 2-core machine where the load generator and the server compete for the cores. `extra`:
 * more autocannon arguments (method, body); `pinned`: the load generator runs on its own CPU
 * (bench/pinning.ts; the caller pins this process).
 */
export async function load(url: string, extra: string[] = [], pinned = false): Promise<Load> {
  await autocannon(url, 1, extra, pinned); // warm-up
  const before = process.cpuUsage();
  const r = await autocannon(url, SECONDS, extra, pinned);
  const used = process.cpuUsage(before);
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts + r.non2xx,
    cpuUs: (used.user + used.system) / Math.max(1, r.requests.total),
  };
}

const unpinned = <T>(measure: (pinned: boolean) => Promise<T>): Promise<T> => measure(false);

export function rows(what: string, base: Load, ours: Load): Row[] {
  return [
    { what: `${what} (req/s)`, baseline: fmt(base.rps), wactor: fmt(ours.rps), ratio: fmt(ours.rps / base.rps, 2) },
    {
      what: `${what} latency p50 / p99 (ms)`,
      baseline: `${base.p50} / ${base.p99}`,
      wactor: `${ours.p50} / ${ours.p99}`,
      ratio: `errors ${base.errors} / ${ours.errors}`,
    },
    {
      what: `${what} server CPU per request (µs; ratio: baseline / wactor, as req/s)`,
      baseline: fmt(base.cpuUs, 1),
      wactor: fmt(ours.cpuUs, 1),
      ratio: fmt(base.cpuUs / ours.cpuUs, 2),
    },
  ];
}

/** Providers started and bound outside any host, for the limit's host calls. */
async function directProviders(actorKey: string, caps: string[], redisUrl: string): Promise<{ call: LimitHostCall; stop: () => Promise<void> }> {
  const logger = pino({ level: "silent" });
  const identity = { key: actorKey, issuer: "", caps };
  const providers = new Map<string, CapabilityProvider>();
  for (const [capabilityId, values] of [
    ["wascc:keyvalue", { URL: redisUrl }],
    ["wascc:logging", {}],
  ] as const) {
    if (!caps.includes(capabilityId)) continue;
    const provider = createBuiltinProvider(capabilityId);
    await provider.start({ logger, deliver: () => Promise.reject(new Error("no deliveries")) });
    await provider.bind(identity, "default", values);
    providers.set(capabilityId, provider);
  }
  return {
    call: (binding, namespace, operation, payload) =>
      providers.get(namespace)!.handleCall({ actor: identity, binding: binding === "" ? "default" : binding, operation, payload }),
    stop: async () => {
      for (const provider of providers.values()) await provider.stop();
    },
  };
}

export async function httpBench(): Promise<Row[]> {
  const out: Row[] = [];
  const redis = await startRedis();
  const host = new Host({ logger: pino({ level: process.env.BENCH_LOG ?? "silent" }, pino.destination(2)) });
  const client = new Redis(redis.url);
  const servers: Array<{ close: () => Promise<unknown> }> = [];
  const stops: Array<() => Promise<void>> = [];
  try {
    await host.addProvider(createBuiltinProvider("wascc:http_server"));
    await host.addProvider(createBuiltinProvider("wascc:keyvalue"));
    await host.addProvider(createBuiltinProvider("wascc:logging"));
    const cases = [
      { name: "echo", what: "HTTP echo (JSON reply, no host call)", path: "/bench", instances: 2 },
      // The same echo built by rustc (serde + rmp-serde + serde_json; actors/echo-rs), default placement.
      { name: "echo-rs", what: "HTTP Rust echo (rustc 1.63, serde + rmp-serde, JSON reply, no host call)", path: "/bench", instances: 2 },
      // The same actor with its guests on an executor thread: a compute-bound actor's placement.
      { name: "echo", what: "HTTP echo on an executor thread (isolation: executor)", path: "/bench", instances: 2, isolation: "executor" as const },
      { name: "kvcounter", what: `HTTP kvcounter on Redis (one Add per request, ${IO_INSTANCES} instances)`, path: "/counter", instances: IO_INSTANCES },
      {
        name: "visits",
        what: `HTTP visits on Redis (3 key-value calls and 1 log line per request, ${IO_INSTANCES} instances)`,
        path: "/visits",
        instances: IO_INSTANCES,
      },
    ];
    // BENCH_HTTP_CASES=echo,echo-rs runs only those rows, in that order (`echo:executor` names the
    // executor's); a row named twice runs twice, in the same process (a row's place can move it).
    const id = (c: (typeof cases)[number]): string => ("isolation" in c ? `${c.name}:${c.isolation}` : c.name);
    const named = process.env.BENCH_HTTP_CASES?.split(",").map((name) => {
      const c = cases.find((c) => id(c) === name);
      if (!c) throw new Error(`BENCH_HTTP_CASES: no row '${name}' (rows: ${cases.map(id).join(", ")})`);
      return c;
    });
    for (const c of named ?? cases) {
      const built = actor(c.name);
      const key = (await host.startActor(built.signedPath, { instances: c.instances, ...("isolation" in c && { isolation: c.isolation }) })).key;
      const ours = await freePort();
      await host.bind(key, "wascc:http_server", "default", { PORT: String(ours) });
      if (built.caps.includes("wascc:keyvalue")) await host.bind(key, "wascc:keyvalue", "default", { URL: redis.url });
      if (built.caps.includes("wascc:logging")) await host.bind(key, "wascc:logging", "default", {});
      const direct = await directProviders(key, built.caps, redis.url);
      stops.push(direct.stop);
      const limitPort = await freePort();
      servers.push(await limitServer(new InThreadActor(new Uint8Array(readFileSync(built.signedPath)), c.instances, direct.call), limitPort));
      // In alternation, PAIRS runs each (bench/paired.ts): the machine's load drifts by the minute. Pinned
      // (bench/pinning.ts), except the executor's row: its guests need the second CPU.
      const pin = !("isolation" in c);
      const [[limit, wactor], pinned] = await (pin ? withServerPinned : unpinned)(
        async (p) => [await paired(`http://127.0.0.1:${limitPort}${c.path}`, `http://127.0.0.1:${ours}${c.path}`, [], p), p] as const,
      );
      const where = pinned ? ", server on CPU 0 and load on CPU 1" : "";
      out.push(...rows(`${c.what}: no-isolation limit vs wactor, ${PAIRS} alternating runs each${where}`, limit, wactor));
      await host.stopActor(key); // echo runs twice, once per placement
    }

    // For reference only: handlers that never run the actor.
    const basePort = await freePort();
    const base = Fastify({ logger: false });
    base.get("/bench", (_req, reply) => void reply.type("application/json").send('{"method":"GET","path":"/bench"}'));
    base.get("/counter", async (_req, reply) => reply.type("application/json").send(`{"counter":${await client.incr("bench:direct::counter")}}`));
    await base.listen({ port: basePort, host: "127.0.0.1" });
    servers.push(base);
    const bare = await load(`http://127.0.0.1:${basePort}/bench`);
    const incr = await load(`http://127.0.0.1:${basePort}/counter`);
    out.push({
      what: "reference: bare fastify (no actor) / fastify + ioredis INCR (no actor), req/s",
      baseline: fmt(bare.rps),
      wactor: fmt(incr.rps),
      ratio: "-",
    });
  } finally {
    for (const s of servers) await s.close();
    for (const stop of stops) await stop();
    client.disconnect();
    await host.shutdown();
    await redis.stop();
  }
  return out;
}
