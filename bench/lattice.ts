/**
 * Lattice invocations (signed, verified, replay-checked, through nats-server) against raw
 * NATS request/reply of the same payload on the same server, in one run.
 */
import { connect } from "nats";
import { encode } from "@msgpack/msgpack";
import { pino } from "pino";
import { Host, KeyPair, LatticeHost } from "../dist/src/mod.js";
import { actor } from "../test/helpers/actors.js";
import { startNats } from "../test/helpers/servers.js";
import { fmt, pipelinedRate, sequentialRate } from "./stats.js";
import type { Row } from "./runtime.js";

export async function latticeBench(): Promise<Row[]> {
  const nats = await startNats({ jetstream: true });
  const silent = pino({ level: "silent" });
  const clusterSeed = KeyPair.create("cluster").seed;
  const caller = new Host({ logger: silent });
  const server = new Host({ logger: silent });
  const nc = await connect({ servers: nats.url });
  let a: LatticeHost | undefined;
  let b: LatticeHost | undefined;
  try {
    const echo = (await server.startActor(actor("echo").signedPath, { instances: 2 })).key;
    b = await LatticeHost.join(server, { url: nats.url, clusterSeed, logger: silent });
    a = await LatticeHost.join(caller, { url: nats.url, clusterSeed, logger: silent });
    const request = encode({ method: "GET", path: "/bench", queryString: "", header: {}, body: new Uint8Array(64) });
    nc.subscribe("bench.raw", { callback: (_err, msg) => msg.respond(msg.data) });
    await nc.flush();
    const raw = () => nc.request("bench.raw", request, { timeout: 5000 });
    const lattice = () => a!.invoke(echo, "HandleRequest", request);
    for (const fn of [raw, lattice]) await sequentialRate(fn, 500, 2000); // warm-up
    const rawSeq = await sequentialRate(raw, 5000, 4000);
    const latSeq = await sequentialRate(lattice, 5000, 4000);
    const rawPipe = await pipelinedRate(raw, 40_000, 64, 4000);
    const latPipe = await pipelinedRate(lattice, 40_000, 64, 4000);
    const local = await pipelinedRate(() => server.invoke(echo, "HandleRequest", request), 40_000, 64, 4000);
    return [
      { what: "one at a time (calls/s): raw NATS request/reply vs lattice invocation", baseline: fmt(rawSeq.perSecond), wactor: fmt(latSeq.perSecond), ratio: fmt(latSeq.perSecond / rawSeq.perSecond, 2) },
      { what: "round trip (µs): raw vs lattice", baseline: fmt(1e6 / rawSeq.perSecond), wactor: fmt(1e6 / latSeq.perSecond), ratio: "-" },
      { what: "64 in flight (calls/s): raw NATS vs lattice", baseline: fmt(rawPipe.perSecond), wactor: fmt(latPipe.perSecond), ratio: fmt(latPipe.perSecond / rawPipe.perSecond, 2) },
      { what: "64 in flight (calls/s): same actor called in-process vs across the lattice", baseline: fmt(local.perSecond), wactor: fmt(latPipe.perSecond), ratio: fmt(latPipe.perSecond / local.perSecond, 2) },
    ];
  } finally {
    await a?.leave();
    await b?.stopServing();
    await server.shutdown();
    await caller.shutdown();
    await b?.close();
    await nc.close();
    await nats.stop();
  }
}
