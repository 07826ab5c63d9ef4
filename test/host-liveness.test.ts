/**
 * Calls in flight to a host that dies (src/lattice/rpc/host-liveness.ts), on a real
 * nats-server: a host that never answers but stays connected keeps its callers waiting (the
 * probe finds it alive); once its connection is gone the calls waiting on it fail with
 * WACTOR_ERR_LATTICE_CONNECTION_LOST long before their deadline, and the host is reported gone.
 */
import { connect, type NatsConnection } from "nats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HostLiveness, PROBE_ANSWER } from "../src/lattice/rpc/host-liveness.js";
import { RequestMux } from "../src/lattice/rpc/request-mux.js";
import { codeOf } from "./helpers/code-of.js";
import { startNats, type ServerHandle } from "./helpers/servers.js";

describe("HostLiveness", () => {
  let nats: ServerHandle;
  let client: NatsConnection;

  beforeAll(async () => {
    nats = await startNats();
    client = await connect({ servers: nats.url });
  });

  afterAll(async () => {
    await client.close();
    await nats.stop();
  });

  it("fails the calls waiting on a host whose connection is gone, and only those", async () => {
    // Two "hosts": each answers probes (empty requests) but never the call itself.
    const hosts = await Promise.all([connect({ servers: nats.url }), connect({ servers: nats.url })]);
    hosts.forEach((nc, i) => nc.subscribe(`inv.${i}`, { callback: (_err, msg) => (msg.data.length === 0 ? msg.respond(PROBE_ANSWER) : undefined) }));
    await Promise.all(hosts.map((nc) => nc.flush()));
    const mux = new RequestMux(client);
    const gone: string[] = [];
    const liveness = new HostLiveness(mux, (hostId) => gone.push(hostId));
    const calls = [0, 1].map((i) => {
      liveness.watch(`inv.${i}`, `N${i}`);
      // A deadline far beyond the test's: only the probe can end the call to host 0 in time.
      return codeOf(mux.request(`inv.${i}`, new Uint8Array([1]), 60_000));
    });
    await new Promise((r) => setTimeout(r, 800)); // probed at least once while both live
    expect(gone).toEqual([]);
    await hosts[0]!.close(); // as a SIGKILL does: the server drops its subscriptions
    expect(await calls[0]).toBe("WACTOR_ERR_LATTICE_CONNECTION_LOST");
    expect(gone).toEqual(["N0"]);
    // The live host's call still waits: closing the mux ends it.
    mux.close();
    expect(await calls[1]).toBe("WACTOR_ERR_LATTICE_UNAVAILABLE");
    liveness.stop();
    await hosts[1]!.close();
  }, 20_000);
});
