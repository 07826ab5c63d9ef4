/**
 * HTTP benchmarks with autocannon, each against a baseline measured in the same run:
 * the echo actor vs a bare fastify handler returning the same bytes, and the kvcounter
 * actor on Redis vs a fastify handler doing the same INCR with ioredis directly.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import Fastify from "fastify";
import { Redis } from "ioredis";
import { pino } from "pino";
import { createBuiltinProvider } from "../dist/capabilities/mod.js";
import { Host } from "../dist/src/mod.js";
import { actor } from "../test/helpers/actors.js";
import { freePort, startRedis } from "../test/helpers/servers.js";
import { fmt } from "./stats.js";
import type { Row } from "./runtime.js";

const CONNECTIONS = 50;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);

const AUTOCANNON = fileURLToPath(new URL("../node_modules/autocannon/autocannon.js", import.meta.url));
const run = promisify(execFile);

interface AutocannonJson {
  requests: { average: number };
  latency: { p50: number; p99: number };
  errors: number;
  timeouts: number;
  non2xx: number;
}

/** autocannon in its own process, so the load generator does not share the server's thread. */
async function autocannon(url: string, seconds: number): Promise<AutocannonJson> {
  const { stdout } = await run(process.execPath, [AUTOCANNON, "-c", String(CONNECTIONS), "-d", String(seconds), "--json", url], { maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(stdout) as AutocannonJson;
}

async function load(url: string): Promise<{ rps: number; p50: number; p99: number; errors: number }> {
  await autocannon(url, 1); // warm-up
  const r = await autocannon(url, SECONDS);
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts + r.non2xx };
}

function rows(what: string, base: Awaited<ReturnType<typeof load>>, ours: Awaited<ReturnType<typeof load>>): Row[] {
  return [
    { what: `${what} (req/s)`, baseline: fmt(base.rps), wactor: fmt(ours.rps), ratio: fmt(ours.rps / base.rps, 2) },
    { what: `${what} latency p50 / p99 (ms)`, baseline: `${base.p50} / ${base.p99}`, wactor: `${ours.p50} / ${ours.p99}`, ratio: `errors ${base.errors} / ${ours.errors}` },
  ];
}

export async function httpBench(): Promise<Row[]> {
  const out: Row[] = [];
  const redis = await startRedis();
  const host = new Host({ logger: pino({ level: "silent" }) });
  const client = new Redis(redis.url);
  const servers: Array<{ close: () => Promise<unknown> }> = [];
  try {
    await host.addProvider(createBuiltinProvider("wascc:http_server"));
    await host.addProvider(createBuiltinProvider("wascc:keyvalue"));
    const echoKey = (await host.startActor(actor("echo").signedPath)).key;
    // Each instance blocks while its host call waits for Redis: an I/O-bound actor wants more.
    const counterKey = (await host.startActor(actor("kvcounter").signedPath, { instances: Number(process.env.BENCH_COUNTER_INSTANCES ?? 16) })).key;
    const [echoPort, counterPort, basePort] = [await freePort(), await freePort(), await freePort()];
    await host.bind(echoKey, "wascc:http_server", "default", { PORT: String(echoPort) });
    await host.bind(counterKey, "wascc:http_server", "default", { PORT: String(counterPort) });
    await host.bind(counterKey, "wascc:keyvalue", "default", { URL: redis.url, KEY_PREFIX: "bench:actor:" });

    // The baseline answers the same bytes the echo actor sends for this request.
    const sample = await (await fetch(`http://127.0.0.1:${echoPort}/bench`)).text();
    const base = Fastify({ logger: false });
    base.get("/bench", async (_req, reply) => reply.type("application/json").send(sample));
    base.get("/counter", async (_req, reply) => reply.type("application/json").send(`{"counter":${await client.incr("bench:direct::counter")}}`));
    await base.listen({ port: basePort, host: "127.0.0.1" });
    servers.push(base);

    out.push(...rows("HTTP echo: bare fastify vs echo actor", await load(`http://127.0.0.1:${basePort}/bench`), await load(`http://127.0.0.1:${echoPort}/bench`)));
    out.push(...rows(`HTTP counter: fastify+ioredis INCR vs kvcounter actor on Redis (${process.env.BENCH_COUNTER_INSTANCES ?? 16} instances)`, await load(`http://127.0.0.1:${basePort}/counter`), await load(`http://127.0.0.1:${counterPort}/counter`)));
  } finally {
    for (const s of servers) await s.close();
    client.disconnect();
    await host.shutdown();
    await redis.stop();
  }
  return out;
}
