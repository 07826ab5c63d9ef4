/**
 * A 3-node JetStream cluster on loopback, one server SIGKILLed: how long until a client is
 * on another server, and how long invocations of an actor whose host was on the killed
 * server stop. Baselines in the same run: a plain nats.js client with its default reconnect
 * settings, and the longest gap between successive calls of the same load with no kill.
 */
import { encode } from "@msgpack/msgpack";
import { connect, Events } from "nats";
import { pino } from "pino";
import { Host, KeyPair, LatticeHost } from "../dist/src/mod.js";
import { actor } from "../test/helpers/actors.js";
import { startNatsCluster, type NatsCluster } from "../scripts/lib/nats-cluster.js";
import type { Row } from "./runtime.js";

const ROUNDS = 3;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** A plain nats.js client: ms from SIGKILL of its server to its reconnect event. */
async function plainReconnectMs(nats: NatsCluster, reconnectTimeWait?: number): Promise<number> {
  const nc = await connect({ servers: nats.url.split(","), maxReconnectAttempts: -1, ...(reconnectTimeWait !== undefined && { reconnectTimeWait }) });
  const victim = nats.nodes.find((n) => n.port === Number(nc.getServer().split(":").pop()))!;
  const reconnected = (async () => {
    for await (const s of nc.status()) if (s.type === Events.Reconnect) return Date.now();
    return Date.now();
  })();
  const killedAt = Date.now();
  await victim.kill();
  const ms = (await reconnected) - killedAt;
  await nc.close();
  await victim.restart();
  return ms;
}

interface Member {
  host: InstanceType<typeof Host>;
  lattice: LatticeHost;
}

async function member(url: string, clusterSeed: string, echo: boolean): Promise<Member> {
  const logger = pino({ level: "silent" });
  const host = new Host({ logger, actorDefaults: { instances: 2 } });
  if (echo) await host.startActor(actor("echo").signedPath);
  const lattice = await LatticeHost.join(host, { url, clusterSeed, logger, heartbeatMs: 1000 });
  return { host, lattice };
}

/** Calls echo back to back for `ms`; `during` runs once, 500 ms in. Returns the longest stretch without a successful call and the failures. */
async function callLoad(caller: Member, ms: number, during?: () => Promise<void>): Promise<{ gapMs: number; failed: number }> {
  const request = encode({ method: "GET", path: "/", queryString: "", header: {}, body: new Uint8Array() });
  const key = actor("echo").publicKey;
  const end = Date.now() + ms;
  let last = Date.now();
  let gapMs = 0;
  let failed = 0;
  const side = during ? sleep(500).then(during) : Promise.resolve();
  for (let i = 0; i < 200_000 && Date.now() < end; i++) {
    try {
      await caller.lattice.invoke(key, "HandleRequest", request);
      gapMs = Math.max(gapMs, Date.now() - last);
      last = Date.now();
    } catch {
      failed++;
      await sleep(5);
    }
  }
  await side;
  return { gapMs, failed };
}

export async function failoverBench(): Promise<Row[]> {
  const nats = await startNatsCluster({ size: 3 });
  const seed = KeyPair.create("cluster").seed;
  const plain: number[] = [];
  const plainDefault: number[] = [];
  const reconnect: number[] = [];
  const gaps: number[] = [];
  const quiet: number[] = [];
  const failures: number[] = [];
  try {
    const worker = await member(nats.url, seed, true);
    const caller = await member(nats.url, seed, false);
    for (let round = 0; round < ROUNDS; round++) {
      plainDefault.push(await plainReconnectMs(nats));
      plain.push(await plainReconnectMs(nats, 250));
      quiet.push((await callLoad(caller, 3000)).gapMs);
      let victim = nats.nodes[0]!;
      const load = await callLoad(caller, 4000, async () => {
        // The worker's server at the moment of the kill (a client may move after a restart).
        victim = nats.nodes.find((n) => n.name === worker.lattice.natsServer)!;
        const killedAt = Date.now();
        await victim.kill();
        for (let i = 0; i < 2000 && [undefined, victim.name].includes(worker.lattice.natsServer); i++) await sleep(2);
        reconnect.push(Date.now() - killedAt);
      });
      gaps.push(load.gapMs);
      failures.push(load.failed);
      await victim.restart();
      await sleep(1000);
    }
    for (const m of [caller, worker]) {
      await m.lattice.stopServing();
      await m.host.shutdown();
      await m.lattice.close();
    }
  } finally {
    await nats.stop();
  }
  const row = (what: string, baseline: number[], wactor: number[]): Row => ({
    what: `${what} (median of ${ROUNDS}; all: ${baseline.join("/")} vs ${wactor.join("/")})`,
    baseline: `${median(baseline)} ms`,
    wactor: `${median(wactor)} ms`,
    ratio: (median(wactor) / Math.max(1, median(baseline))).toFixed(2),
  });
  return [
    row("on another server after SIGKILL of its own (baseline: plain nats.js, default 2 s reconnect wait)", plainDefault, reconnect),
    row("same (baseline: plain nats.js, the same 250 ms reconnect wait)", plain, reconnect),
    row(`longest stretch without a successful call (baseline: same load, no kill); failed calls ${failures.join("/")}`, quiet, gaps),
  ];
}
