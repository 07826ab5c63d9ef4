/**
 * `wactor ui`: a dashboard of one lattice, served by fastify. The page polls an overview and
 * follows the event stream (server-sent events); actions go through the control interface.
 * Bound to 127.0.0.1 by default; listening elsewhere requires a token on every request.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { pino, type Logger } from "pino";
import { AppClient } from "../deploy/app-client.js";
import type { KeyPair } from "../claims/nkeys.js";
import type { NatsAccess } from "../nats/access.js";
import { RecordProofs } from "../lattice/trust/record-proof.js";
import { toWactorError, WactorError } from "../errors.js";
import { clientErrorHandler } from "../http-client-error.js";
import { parseAction, runAction } from "./actions.js";
import { readAsset } from "./assets.js";
import { buildOverview } from "./overview.js";

export interface DashboardOptions {
  url: string;
  lattice?: string;
  access?: NatsAccess;
  port?: number;
  /** Interface to listen on; anything but loopback requires the token. */
  host?: string;
  logger?: Logger;
  /** The operator key the dashboard's actions are signed with (none: they go unsigned). */
  signer?: KeyPair;
  /** The lattice's cluster keys: heartbeats and statuses not signed by one are marked (none: each must be signed by the key it names). */
  trustedClusters?: string[];
}

export interface Dashboard {
  /** Address to open, with the token when one is required. */
  url: string;
  token: string | undefined;
  close(): Promise<void>;
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

function tokenMatches(given: string | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

const TOKEN_COOKIE = "wactor_ui_token";

function cookieToken(header: string | undefined): string | undefined {
  for (const part of header?.split(";") ?? []) {
    const [name, value] = part.trim().split("=", 2);
    if (name === TOKEN_COOKIE) return value;
  }
  return undefined;
}

const errorBody = (error: WactorError): { ok: false; code: string; message: string } => ({ ok: false, code: error.code, message: error.message });

/** Every error body is `{ ok: false, code, message }` with a catalog code; an unexpected one is logged with its stack. */
function sendError(reply: FastifyReply, err: unknown, logger: Logger): FastifyReply {
  const error = toWactorError(err);
  if (error.code === "WACTOR_ERR_INTERNAL") logger.error({ err: error.cause }, `dashboard request failed: ${error.message}`);
  return reply.code(error.status).send(errorBody(error));
}

/** fastify's own request errors (bad JSON, wrong content type, too large) as catalog errors. */
function requestError(err: FastifyError): WactorError {
  const status = err.statusCode ?? 500;
  if (status === 413) return new WactorError("WACTOR_ERR_BODY_TOO_LARGE", `${err.code}: ${err.message}`, { cause: err });
  if (status >= 400 && status < 500) return new WactorError("WACTOR_ERR_BAD_REQUEST", `${err.code}: ${err.message}`, { cause: err });
  return toWactorError(err);
}

export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const host = options.host ?? "127.0.0.1";
  const logger = options.logger ?? pino(pino.destination(2));
  const token = LOOPBACK.has(host) ? undefined : randomBytes(24).toString("base64url");
  const proofs = new RecordProofs(options.trustedClusters);
  const apps = await AppClient.connect({
    proofs,
    url: options.url,
    ...(options.lattice !== undefined && { lattice: options.lattice }),
    ...(options.access && { access: options.access }),
    ...(options.signer && { signer: options.signer }),
  });
  // Open event streams must not keep close() waiting.
  const app: FastifyInstance = Fastify({ logger: false, forceCloseConnections: true, clientErrorHandler: clientErrorHandler(errorBody) });

  if (token) {
    app.addHook("onRequest", async (request: FastifyRequest, reply: FastifyReply) => {
      const query = (request.query ?? {}) as { token?: string };
      const bearer = request.headers.authorization?.replace(/^Bearer /, "");
      if (tokenMatches(query.token ?? bearer ?? cookieToken(request.headers.cookie), token)) {
        // The page's own stylesheet, scripts and event stream carry no query string: the
        // browser that opened the printed address proves the token with a cookie from then on.
        if (query.token) void reply.header("set-cookie", `${TOKEN_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict`);
        return;
      }
      return sendError(reply, new WactorError("WACTOR_ERR_UNAUTHORIZED"), logger);
    });
  }

  app.setErrorHandler((err: FastifyError, _request, reply) => sendError(reply, requestError(err), logger));
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, new WactorError("WACTOR_ERR_NOT_FOUND", `${request.method} ${request.url.split("?")[0]}`), logger),
  );

  const asset = (name: string) => async (_req: FastifyRequest, reply: FastifyReply) => {
    const found = await readAsset(name);
    if (!found) return sendError(reply, new WactorError("WACTOR_ERR_NOT_FOUND", `${name} is missing: run 'npm run build'`), logger);
    return reply.type(found.type).header("cache-control", "no-store").send(found.body);
  };
  app.get("/", asset("index.html"));
  app.get("/style.css", asset("style.css"));
  app.get<{ Params: { name: string } }>("/app/:name", async (request, reply) => asset(request.params.name)(request, reply));

  app.get("/api/overview", async (_request, reply) => {
    try {
      return await buildOverview(apps);
    } catch (err) {
      return sendError(reply, err, logger);
    }
  });

  app.post("/api/actions", async (request, reply) => {
    try {
      return { ok: true, result: await runAction(apps.control, parseAction(request.body)) };
    } catch (err) {
      return sendError(reply, err, logger);
    }
  });

  app.get("/api/events", (request, reply) => {
    reply.hijack();
    reply.raw.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive" });
    reply.raw.write(": connected\n\n");
    const stop = apps.control.watch((event) => reply.raw.write(`data: ${JSON.stringify(proofs.mark(event))}\n\n`), { sweepMs: 1000 });
    const keepAlive = setInterval(() => reply.raw.write(": keep-alive\n\n"), 15_000);
    request.raw.on("close", () => {
      clearInterval(keepAlive);
      stop();
    });
  });

  try {
    await app.listen({ port: options.port ?? 4000, host });
  } catch (err) {
    await apps.close();
    const code = (err as NodeJS.ErrnoException).code;
    throw new WactorError(
      code === "EADDRINUSE" ? "WACTOR_ERR_PORT_IN_USE" : "WACTOR_ERR_BAD_ARGUMENT",
      `dashboard on ${host}:${options.port ?? 4000}: ${(err as Error).message}`,
    );
  }
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : (options.port ?? 4000);
  const shownHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}/${token ? `?token=${token}` : ""}`,
    token,
    close: async () => {
      await app.close();
      await apps.close();
    },
  };
}
