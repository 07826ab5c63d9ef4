/**
 * Outbound HTTP: the fetcher actor over HTTP makes one wascc:http_client request per request
 * to a local fastify server, against its no-isolation limit: a fastify handler running the
 * same module in-thread (asyncified on `__host_call`) whose host call awaits undici directly,
 * with a keep-alive pool like the provider's and none of its checks. Measured in alternation
 * (bench/paired.ts).
 */
import { readFileSync } from "node:fs";
import { STATUS_CODES } from "node:http";
import Fastify from "fastify";
import { pino } from "pino";
import { Agent, request } from "undici";
import { createBuiltinProvider } from "../dist/capabilities/mod.js";
import { decodeHttpClientRequest, encodeHttpClientResponse } from "../dist/src/codec/mod.js";
import { Host } from "../dist/src/mod.js";
import { actor } from "../test/helpers/actors.js";
import { freePort } from "../test/helpers/servers.js";
import { rows } from "./http.js";
import { InThreadActor, limitServer, type LimitHostCall } from "./no-isolation.js";
import { PAIRS, paired } from "./paired.js";
import type { Row } from "./runtime.js";

const INSTANCES = Number(process.env.BENCH_IO_INSTANCES ?? 16);

/** The limit's host call: the same request sent with undici, nothing checked. */
function undiciHostCall(agent: Agent): LimitHostCall {
  return async (_binding, _namespace, _operation, payload) => {
    const call = decodeHttpClientRequest(payload);
    const res = await request(call.url, { dispatcher: agent, method: call.method as "GET", headers: call.header });
    const body = new Uint8Array(await res.body.arrayBuffer());
    const header: Record<string, string> = {};
    for (const [name, value] of Object.entries(res.headers)) if (value !== undefined) header[name] = Array.isArray(value) ? value.join(", ") : value;
    return encodeHttpClientResponse({ statusCode: res.statusCode, status: STATUS_CODES[res.statusCode] ?? "", header, body });
  };
}

export async function httpClientBench(): Promise<Row[]> {
  const host = new Host({ logger: pino({ level: "silent" }) });
  const upstream = Fastify({ logger: false });
  const agent = new Agent();
  const servers: Array<{ close: () => Promise<unknown> }> = [upstream];
  try {
    upstream.get("/data", async (_request, reply) => reply.type("application/json").send('{"hello":"from upstream","n":42}'));
    const upstreamPort = await freePort();
    await upstream.listen({ port: upstreamPort, host: "127.0.0.1" });
    const path = `/fetch?url=${encodeURIComponent(`http://127.0.0.1:${upstreamPort}/data`)}`;

    await host.addProvider(createBuiltinProvider("wascc:http_server"));
    await host.addProvider(createBuiltinProvider("wascc:http_client"));
    const built = actor("fetcher");
    const key = (await host.startActor(built.signedPath, { instances: INSTANCES })).key;
    const ours = await freePort();
    await host.bind(key, "wascc:http_server", "default", { PORT: String(ours) });
    await host.bind(key, "wascc:http_client", "default", { ALLOWED_HOSTS: `127.0.0.1:${upstreamPort}` });

    const limitPort = await freePort();
    servers.push(await limitServer(new InThreadActor(new Uint8Array(readFileSync(built.signedPath)), INSTANCES, undiciHostCall(agent)), limitPort));
    const [limit, wactor] = await paired(`http://127.0.0.1:${limitPort}${path}`, `http://127.0.0.1:${ours}${path}`);
    return rows(
      `HTTP fetcher, one http_client GET per request to a local fastify (${INSTANCES} instances): no-isolation limit vs wactor, ${PAIRS} alternating runs each`,
      limit,
      wactor,
    );
  } finally {
    for (const s of servers) await s.close();
    await agent.close();
    await host.shutdown();
  }
}
