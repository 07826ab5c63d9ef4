/**
 * Requests Node's HTTP parser rejects before fastify sees them (bad framing, oversized
 * headers, a client too slow to send them) still get a catalog error body, not fastify's
 * default `{"error":"Bad Request","message":"Client Error"}` without a code. Used by every
 * fastify server wactor runs (the http_server provider, the dashboard).
 */
import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import { WactorError } from "./errors.js";

/** The JSON error body of one server, built from the catalog error. */
export type ErrorBody = (error: WactorError) => unknown;

export function clientErrorHandler(body: ErrorBody): (err: NodeJS.ErrnoException, socket: Socket) => void {
  return (err, socket) => {
    if (err.code === "ECONNRESET" || socket.destroyed) return;
    const status = err.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : err.code === "HPE_HEADER_OVERFLOW" ? 431 : 400;
    const text = JSON.stringify(body(new WactorError("WACTOR_ERR_BAD_REQUEST", `${err.code ?? "parse error"}: ${err.message}`)));
    if (socket.writable) {
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(text)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${text}`,
      );
    }
    socket.destroy(err);
  };
}
