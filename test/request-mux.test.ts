/**
 * The lattice's request/reply (src/lattice/request-mux.ts) against a real nats-server: every
 * reply reaches its own caller, a subject nobody serves fails at once, a silent responder
 * times out with the catalog code, closing fails whatever still waits, and so does losing the
 * server (its reply cannot come any more).
 */
import { connect, type NatsConnection } from "nats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NoResponders, RequestMux } from "../src/lattice/rpc/request-mux.js";
import { codeOf } from "./helpers/code-of.js";
import { startNats, type ServerHandle } from "./helpers/servers.js";

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

describe("RequestMux", () => {
  let nats: ServerHandle;
  let server: NatsConnection;
  let client: NatsConnection;

  beforeAll(async () => {
    nats = await startNats();
    server = await connect({ servers: nats.url });
    client = await connect({ servers: nats.url });
    server.subscribe("mux.echo", { callback: (_err, msg) => setTimeout(() => msg.respond(enc(`re:${dec(msg.data)}`)), Math.random() * 20) });
    server.subscribe("mux.silent", { callback: () => undefined });
    await server.flush();
  });

  afterAll(async () => {
    await client.close();
    await server.close();
    await nats.stop();
  });

  it("delivers each reply to its own caller, 200 in flight answered out of order", async () => {
    const mux = new RequestMux(client);
    const replies = await Promise.all(Array.from({ length: 200 }, (_, i) => mux.request("mux.echo", enc(String(i)), 5000)));
    expect(replies.map(dec)).toEqual(Array.from({ length: 200 }, (_, i) => `re:${i}`));
    mux.close();
  });

  it("fails at once with NoResponders when nobody serves the subject", async () => {
    const mux = new RequestMux(client);
    // A ten-minute deadline: only the server's immediate 503 can end this within the test's timeout.
    const err = await mux.request("mux.nobody", enc("x"), 600_000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoResponders);
    expect((err as NoResponders).subject).toBe("mux.nobody");
    mux.close();
  });

  it("times out a request nobody answers with WACTOR_ERR_LATTICE_TIMEOUT, and ignores a late reply", async () => {
    const mux = new RequestMux(client);
    expect(await codeOf(mux.request("mux.silent", enc("x"), 200))).toBe("WACTOR_ERR_LATTICE_TIMEOUT");
    // The mux still serves after a timeout.
    expect(dec(await mux.request("mux.echo", enc("after"), 5000))).toBe("re:after");
    mux.close();
  });

  it("fails the requests still waiting when closed", async () => {
    const mux = new RequestMux(client);
    const waiting = mux.request("mux.silent", enc("x"), 60_000);
    await client.flush();
    mux.close();
    expect(await codeOf(waiting)).toBe("WACTOR_ERR_LATTICE_UNAVAILABLE");
  });

  it("fails the requests in flight with WACTOR_ERR_LATTICE_CONNECTION_LOST when the connection's server dies, not at their deadline", async () => {
    const doomed = await startNats();
    const responder = await connect({ servers: doomed.url, maxReconnectAttempts: 0 });
    const caller = await connect({ servers: doomed.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    try {
      responder.subscribe("mux.silent", { callback: () => undefined });
      await responder.flush();
      const mux = new RequestMux(caller);
      // A ten-minute deadline: only the lost connection can end this within the test's timeout.
      const waiting = mux.request("mux.silent", enc("x"), 600_000).catch((e: unknown) => e);
      await caller.flush();
      await doomed.kill();
      const err = (await waiting) as Error & { code?: string };
      expect(err.code).toBe("WACTOR_ERR_LATTICE_CONNECTION_LOST");
      expect(err.message).toContain("may or may not have been carried out");
      mux.close();
    } finally {
      await caller.close();
      await responder.close().catch(() => undefined);
      await doomed.stop();
    }
  });
});
