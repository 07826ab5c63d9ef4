/**
 * One asynchronous host call per invocation, in-process: wactor's metered instances (and the
 * thread design kept as the last resort) against the no-isolation limit, the same guest
 * asyncified and called in-thread with the same instance count (no-isolation.ts). The host
 * call is answered by a promise, as a Redis or NATS provider would.
 */
import { pino } from "pino";
import { Host, KeyPair, signModule } from "../dist/src/mod.js";
import { rawGuestBytes } from "../test/helpers/raw-guest.js";
import { InThreadActor } from "./no-isolation.js";
import { bestOf, fmt, pipelinedRate, sequentialRate } from "./stats.js";
import type { Row } from "./runtime.js";

const IN_FLIGHT = 64;

export async function asyncifyBench(): Promise<Row[]> {
  const raw = rawGuestBytes();
  const request = new TextEncoder().encode("default|wascc:extras|Echo|x");
  const operation = new TextEncoder().encode("HostCall");
  const limit = new InThreadActor(raw, IN_FLIGHT, async (_binding, _namespace, _operation, payload) => payload);
  const check = new TextDecoder().decode(await limit.invoke(operation, request));
  if (check !== "x") throw new Error(`the in-thread guest answered '${check}'`);

  const host = new Host({ logger: pino({ level: "silent" }) });
  try {
    await host.addProvider({
      capabilityId: "wascc:extras",
      name: "echo",
      start: async () => {},
      stop: async () => {},
      bind: async () => {},
      unbind: async () => {},
      bindingStatus: () => ({ state: "ok" as const }),
      handleCall: async (c: { payload: Uint8Array }) => c.payload,
    });
    const keys: Record<string, string> = {};
    for (const isolation of ["metered", "thread"] as const) {
      const signed = await signModule(raw, { issuer: KeyPair.create("account"), subject: KeyPair.create("module"), caps: ["wascc:extras"] });
      keys[isolation] = (await host.startActor(signed.bytes, { isolation, instances: isolation === "metered" ? IN_FLIGHT : 4 })).key;
      await host.bind(keys[isolation]!, "wascc:extras", "default", {});
    }
    const rows: Row[] = [];
    const seq = await bestOf(3, {
      limit: () => sequentialRate(() => limit.invoke(operation, request), 200_000, 2000),
      metered: () => sequentialRate(() => host.invoke(keys.metered!, "HostCall", request), 200_000, 2000),
    });
    rows.push({
      what: "one async host call per invocation, sequential (calls/s): no-isolation limit vs metered",
      baseline: fmt(seq.limit.perSecond),
      wactor: fmt(seq.metered.perSecond),
      ratio: fmt(seq.metered.perSecond / seq.limit.perSecond, 2),
    });
    const piped = await bestOf(3, {
      limit: () => pipelinedRate(async () => limit.invoke(operation, request), 400_000, IN_FLIGHT, 2000),
      metered: () => pipelinedRate(() => host.invoke(keys.metered!, "HostCall", request), 400_000, IN_FLIGHT, 2000),
    });
    rows.push({
      what: `same, ${IN_FLIGHT} in flight on ${IN_FLIGHT} instances (calls/s; target >= 0.7): no-isolation limit vs metered`,
      baseline: fmt(piped.limit.perSecond),
      wactor: fmt(piped.metered.perSecond),
      ratio: fmt(piped.metered.perSecond / piped.limit.perSecond, 2),
    });
    const threadPiped = await pipelinedRate(() => host.invoke(keys.thread!, "HostCall", request), 200_000, IN_FLIGHT, 2000);
    rows.push({
      what: `same, ${IN_FLIGHT} in flight (calls/s): no-isolation limit vs thread isolation (4 worker threads, the old design)`,
      baseline: fmt(piped.limit.perSecond),
      wactor: fmt(threadPiped.perSecond),
      ratio: fmt(threadPiped.perSecond / piped.limit.perSecond, 2),
    });
    return rows;
  } finally {
    await host.shutdown();
  }
}
