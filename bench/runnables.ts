/**
 * Reactr runnables over HTTP (docs/runnables.md), each against its no-isolation limit: the same
 * module called in-thread by a fastify handler (bench/no-isolation-runnable.ts).
 * - echo (no host call; the limit is not asyncified), served by wactor through the
 *   http_server provider (HandleRequest, a metered instance on the host thread; the request
 *   and response reach the runnable as their fields, no MessagePack: docs/runnables.md). The
 *   bare limit is the one that counts. A second limit adds the waSCC HTTP codec the actor
 *   rows' limits pay; wactor no longer pays it for a runnable, so that row only shows what
 *   the codec costs.
 * - fetch-get (actors/runnables/fetch-get): one fetch_url GET per request to a local fastify
 *   server through the real wascc:http_client; the limit's fetch_url awaits undici directly,
 *   with a keep-alive pool like the provider's and none of its checks.
 * Each pair is measured in alternation (bench/paired.ts).
 */
import Fastify from "fastify";
import { pino } from "pino";
import { Agent, request } from "undici";
import { createBuiltinProvider } from "../dist/capabilities/mod.js";
import { Host } from "../dist/src/mod.js";
import { echoRunnable, signedRunnable } from "../test/helpers/runnable-guests.js";
import { runnable, unsignedRunnable } from "../test/helpers/runnables.js";
import { freePort } from "../test/helpers/servers.js";
import { rows } from "./http.js";
import { runnableLimitServer, type LimitFetch } from "./no-isolation-runnable.js";
import { PAIRS, paired } from "./paired.js";
import type { Row } from "./runtime.js";

const INSTANCES = 2;
const IO_INSTANCES = Number(process.env.BENCH_IO_INSTANCES ?? 16);
const BODY = ["-m", "POST", "-b", "hello, runnable"];
/** The limit's fetch: undici on a keep-alive pool, nothing checked. */
function undiciFetch(agent: Agent): LimitFetch {
  return async (method, url, headers, body) => {
    const res = await request(url, { dispatcher: agent, method: method as "GET", headers, ...(body.length > 0 && { body }) });
    return { status: res.statusCode, body: new Uint8Array(await res.body.arrayBuffer()) };
  };
}

async function echoRows(host: Host, servers: Array<{ close: () => Promise<unknown> }>): Promise<Row[]> {
  const plain = echoRunnable();
  const { bytes } = await signedRunnable(plain, { caps: ["wascc:http_server"], name: "runnable-echo" });
  const key = (await host.startActor(bytes, { instances: INSTANCES })).key;
  const ours = await freePort();
  await host.bind(key, "wascc:http_server", "default", { PORT: String(ours) });
  const [limitPort, codecPort] = [await freePort(), await freePort()];
  servers.push(
    await runnableLimitServer(plain, limitPort, { instances: INSTANCES }),
    await runnableLimitServer(plain, codecPort, { instances: INSTANCES, codec: true }),
  );
  const [limit, wactor] = await paired(`http://127.0.0.1:${limitPort}/run`, `http://127.0.0.1:${ours}/run`, BODY);
  const [withCodec, wactorAgain] = await paired(`http://127.0.0.1:${codecPort}/run`, `http://127.0.0.1:${ours}/run`, BODY);
  return [
    ...rows(`HTTP runnable echo (POST, no host call): no-isolation limit vs wactor, ${PAIRS} alternating runs each`, limit, wactor),
    ...rows("HTTP runnable echo: the limit with the waSCC HTTP codec (as the actor rows) vs wactor", withCodec, wactorAgain),
  ];
}

async function fetchRows(host: Host, servers: Array<{ close: () => Promise<unknown> }>, agent: Agent): Promise<Row[]> {
  const upstream = Fastify({ logger: false });
  servers.push(upstream);
  upstream.get("/data", async (_request, reply) => reply.type("application/json").send('{"hello":"from upstream","n":42}'));
  const upstreamPort = await freePort();
  await upstream.listen({ port: upstreamPort, host: "127.0.0.1" });
  const body = ["-m", "POST", "-b", `http://127.0.0.1:${upstreamPort}/data`];

  const key = (await host.startActor(runnable("fetch-get").signedPath, { instances: IO_INSTANCES })).key;
  const ours = await freePort();
  await host.bind(key, "wascc:http_server", "default", { PORT: String(ours) });
  await host.bind(key, "wascc:http_client", "default", { ALLOWED_HOSTS: `127.0.0.1:${upstreamPort}` });
  const limitPort = await freePort();
  servers.push(await runnableLimitServer(unsignedRunnable("fetch-get"), limitPort, { instances: IO_INSTANCES, fetch: undiciFetch(agent) }));
  const [limit, wactor] = await paired(`http://127.0.0.1:${limitPort}/run`, `http://127.0.0.1:${ours}/run`, body);
  return rows(
    `HTTP runnable fetch-get, one fetch_url GET per request to a local fastify (${IO_INSTANCES} instances): no-isolation limit vs wactor, ${PAIRS} alternating runs each`,
    limit,
    wactor,
  );
}

export async function runnablesBench(): Promise<Row[]> {
  const host = new Host({ logger: pino({ level: "silent" }) });
  const servers: Array<{ close: () => Promise<unknown> }> = [];
  const agent = new Agent();
  try {
    await host.addProvider(createBuiltinProvider("wascc:http_server"));
    await host.addProvider(createBuiltinProvider("wascc:http_client"));
    return [...(await echoRows(host, servers)), ...(await fetchRows(host, servers, agent))];
  } finally {
    for (const s of servers) await s.close();
    await agent.close();
    await host.shutdown();
  }
}
