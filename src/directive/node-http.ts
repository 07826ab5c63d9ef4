/**
 * A DirectiveApp as a node:http request listener: the thin layer a server needs (read the
 * body, call handle, write the answer). Used by tests over a real socket; a host may mount
 * `handle` on its own HTTP surface the same way.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import type { DirectiveApp } from "./app.js";

/** Bodies above this are refused with 413 before any function runs. */
export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;

async function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export function directiveListener(app: DirectiveApp, options: { maxBodyBytes?: number } = {}): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const body = await readBody(req, options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES);
      if (!body) {
        res.writeHead(413, { "Content-Type": "text/plain; charset=utf-8", Connection: "close" }).end("413 Request Entity Too Large\n");
        return;
      }
      const answer = await app.handle({ method: req.method ?? "GET", url: req.url ?? "/", headers: req.headers, body });
      res.writeHead(answer.status, answer.headers).end(answer.body);
    })().catch(() => {
      // handle() answers every failure itself; this is only a socket that went away.
      if (!res.headersSent) res.writeHead(500).end();
    });
  };
}
