/**
 * What the example runnables meet outside the host in the end-to-end tests: a local fastify
 * server standing in for the internet (it records every request it receives), and a pino
 * logger whose lines are kept for assertions. The host and its providers are each test's own.
 */
import Fastify, { type FastifyInstance } from "fastify";
import { pino, type Logger } from "pino";
import { HttpServerProvider } from "../../capabilities/mod.js";
import type { Host } from "../../src/host/host.js";
import { runnable } from "./runnables.js";

export interface SeenRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface LocalWeb {
  app: FastifyInstance;
  /** `http://127.0.0.1:<port>` */
  base: string;
  /** `127.0.0.1:<port>`, as ALLOWED_HOSTS names it */
  origin: string;
  seen: SeenRequest[];
}

/**
 * Routes: `GET /hello` "world"; `/graphql` a GraphQL answer naming the query it got; `/redirect?to=<url>`
 * a 302 there; anything else answers `<METHOD> <url> <body>`.
 */
export async function startLocalWeb(): Promise<LocalWeb> {
  const seen: SeenRequest[] = [];
  const app = Fastify({ logger: false, forceCloseConnections: true });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, done) => done(null, body));
  app.addHook("preHandler", async (request) => {
    seen.push({ method: request.method, url: request.url, headers: request.headers, body: request.body instanceof Buffer ? request.body.toString() : "" });
  });
  app.get("/hello", async () => "world");
  app.post("/graphql", async (request) => {
    const { query, variables } = JSON.parse(String(request.body)) as { query: string; variables: unknown };
    return { data: { hello: "world", query, variables } };
  });
  app.get("/redirect", async (request, reply) => reply.redirect((request.query as { to: string }).to, 302));
  app.all("/*", async (request) => `${request.method} ${request.url} ${seen.at(-1)!.body}`);
  const base = await app.listen({ port: 0, host: "127.0.0.1" });
  return { app, base, origin: base.slice("http://".length), seen };
}

export interface CapturedLog {
  logger: Logger;
  /** Every line written so far, parsed. */
  lines: Array<Record<string, unknown> & { level: number; msg?: string }>;
}

/** A pino logger at trace level whose lines are kept. */
export function capturedLog(): CapturedLog {
  const lines: CapturedLog["lines"] = [];
  const logger = pino({ level: "trace" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
}

/**
 * Starts the example runnable `name` (signed by the build) and binds it: `wascc:http_server` on
 * a free port when it claims it, and each of `bindings` (capability → values). Answers its key
 * and, when served, its URL.
 */
export async function startExample(
  host: Host,
  name: string,
  bindings: Record<string, Record<string, string>> = {},
  options: { deadlineMs?: number; maxMemoryBytes?: number; instances?: number; staticDir?: string; serve?: boolean } = {},
): Promise<{ key: string; url: string }> {
  const { serve = true, ...actorOptions } = options;
  const { key } = await host.startActor(runnable(name).signedPath, actorOptions);
  let url = "";
  if (serve && runnable(name).caps.includes("wascc:http_server")) {
    await host.bind(key, "wascc:http_server", "default", { PORT: "0" });
    const address = (host.provider("wascc:http_server") as HttpServerProvider).address(key, "default")!;
    url = `http://127.0.0.1:${address.port}`;
  }
  for (const [capability, values] of Object.entries(bindings)) await host.bind(key, capability, "default", values);
  return { key, url };
}
