/**
 * The cost of tracing over HTTP: the same actor on two hosts in this process, one without
 * tracing (the baseline: the host as it runs by default) and one tracing every request (full
 * sampling, OTLP http/protobuf to a local sink that accepts and drops). Off costs one
 * `undefined` check per request, invocation and host call; compare the off figures with the
 * HTTP table's wactor column (same machine) for the change against a build without tracing.
 */
import { createServer, type Server } from "node:http";
import { pino } from "pino";
import { createBuiltinProvider } from "../dist/capabilities/mod.js";
import { Host } from "../dist/src/mod.js";
import { startTracing } from "../dist/src/tracing/mod.js";
import { actor } from "../test/helpers/actors.js";
import { freePort, startRedis } from "../scripts/lib/servers.js";
import { load, rows } from "./http.js";
import type { Row } from "./runtime.js";

const IO_INSTANCES = Number(process.env.BENCH_IO_INSTANCES ?? 16);

/** An OTLP endpoint that reads each export and answers 200 (an empty protobuf response). */
async function sink(): Promise<{ url: string; server: Server; bytes: () => number }> {
  let bytes = 0;
  const server = createServer((request, response) => {
    request.on("data", (chunk: Buffer) => (bytes += chunk.length));
    request.on("end", () => response.writeHead(200, { "content-type": "application/x-protobuf" }).end());
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${port}/v1/traces`, server, bytes: () => bytes };
}

async function hostWith(tracing: Awaited<ReturnType<typeof startTracing>> | undefined): Promise<Host> {
  const host = new Host({ logger: pino({ level: "silent" }), ...(tracing && { tracing }) });
  for (const cap of ["wascc:http_server", "wascc:keyvalue"]) await host.addProvider(createBuiltinProvider(cap));
  return host;
}

export async function tracingBench(): Promise<Row[]> {
  const out: Row[] = [];
  const redis = await startRedis();
  const receiver = await sink();
  // Full sampling whatever the environment says.
  process.env.OTEL_TRACES_SAMPLER = "always_on";
  const tracing = await startTracing({ protocol: "http/protobuf", url: receiver.url });
  const off = await hostWith(undefined);
  const on = await hostWith(tracing);
  try {
    const cases = [
      { name: "echo", what: "HTTP echo (no host call)", path: "/bench", instances: 2 },
      { name: "kvcounter", what: `HTTP kvcounter on Redis (one Add, ${IO_INSTANCES} instances)`, path: "/counter", instances: IO_INSTANCES },
    ];
    for (const c of cases) {
      const built = actor(c.name);
      const ports: number[] = [];
      for (const host of [off, on]) {
        const key = (await host.startActor(built.signedPath, { instances: c.instances })).key;
        const port = await freePort();
        await host.bind(key, "wascc:http_server", "default", { PORT: String(port) });
        if (built.caps.includes("wascc:keyvalue")) await host.bind(key, "wascc:keyvalue", "default", { URL: redis.url });
        ports.push(port);
      }
      const untraced = await load(`http://127.0.0.1:${ports[0]}${c.path}`);
      const traced = await load(`http://127.0.0.1:${ports[1]}${c.path}`);
      out.push(...rows(`${c.what}: tracing off vs on (every request sampled, OTLP to a local sink)`, untraced, traced));
    }
    await tracing.flush();
    out.push({ what: "OTLP bytes received by the sink while tracing was on", baseline: "-", wactor: String(receiver.bytes()), ratio: "-" });
  } finally {
    await off.shutdown();
    await on.shutdown();
    await tracing.shutdown();
    receiver.server.close();
    await redis.stop();
  }
  return out;
}
