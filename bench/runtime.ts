/**
 * In-process runtime benchmark (no HTTP): wactor's host.invoke against a direct in-thread
 * call of the same Wasm export, measured side by side in this run.
 */
import { pino } from "pino";
import { KeyPair, signModule, verifyModule, Host, WapcGuest } from "../dist/src/mod.js";
import { rawGuestBytes } from "../test/helpers/raw-guest.js";
import { fmt, latencies, percentile, pipelinedRate, sequentialRate } from "./stats.js";

export interface Row {
  what: string;
  baseline: string;
  wactor: string;
  ratio: string;
}

const enc = (s: string) => new TextEncoder().encode(s);

function padModule(bytes: Uint8Array, padBytes: number): Uint8Array {
  // A custom section of padBytes (like a Rust actor's debug sections): name "pad".
  const name = enc("pad");
  const size = 1 + name.length + padBytes;
  const leb: number[] = [];
  let v = size;
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v) b |= 0x80;
    leb.push(b);
  } while (v);
  const out = new Uint8Array(bytes.length + 1 + leb.length + size);
  out.set(bytes);
  out.set([0, ...leb, name.length, ...name], bytes.length);
  return out;
}

export async function runtimeBench(): Promise<Row[]> {
  const rows: Row[] = [];
  const account = KeyPair.create("account");
  const raw = rawGuestBytes();
  const sign = async (bytes: Uint8Array) => (await signModule(bytes, { issuer: account, subject: KeyPair.create("module"), caps: ["wascc:extras"] })).bytes;
  const small = await sign(raw);
  const big = await sign(padModule(raw, 2 * 1024 * 1024));

  // Baseline: the same guest, in this thread, host calls answered synchronously.
  const module = await WebAssembly.compile(small as Uint8Array<ArrayBuffer>);
  const direct = WapcGuest.create(module, { hostCall: (_b, _n, _o, p) => ({ ok: true, payload: p }) });

  // One instance: on 2 cores a second worker competes with the host thread for CPU (see below).
  const host = new Host({ logger: pino({ level: "silent" }), actorDefaults: { instances: 1 } });
  await new Promise((r) => setTimeout(r, 300)); // let the spare workers boot
  const key = (await host.startActor(small)).key;
  const provider = {
    capabilityId: "wascc:extras",
    name: "echo",
    start: async () => {},
    stop: async () => {},
    bind: async () => {},
    unbind: async () => {},
    bindingStatus: () => ({ state: "ok" as const }),
    handleCall: async (c: { payload: Uint8Array }) => c.payload,
  };
  await host.addProvider(provider);
  await host.bind(key, "wascc:extras", "default", {});

  for (const size of [64, 4096]) {
    const payload = new Uint8Array(size).fill(97);
    const base = await sequentialRate(() => direct.invoke("Echo", payload), 200_000, 2000);
    const seq = await sequentialRate(() => host.invoke(key, "Echo", payload), 20_000, 3000);
    const piped = await pipelinedRate(() => host.invoke(key, "Echo", payload), 200_000, 64, 4000);
    rows.push({
      what: `echo ${size} B, sequential (calls/s)`,
      baseline: fmt(base.perSecond),
      wactor: fmt(seq.perSecond),
      ratio: fmt(seq.perSecond / base.perSecond, 3),
    });
    rows.push({
      what: `echo ${size} B, 64 in flight (calls/s)`,
      baseline: fmt(base.perSecond),
      wactor: fmt(piped.perSecond),
      ratio: fmt(piped.perSecond / base.perSecond, 3),
    });
  }
  const twoKey = (await host.startActor(await sign(raw), { instances: 2 })).key;
  const small64 = new Uint8Array(64);
  const base64 = await sequentialRate(() => direct.invoke("Echo", small64), 200_000, 2000);
  const two = await pipelinedRate(() => host.invoke(twoKey, "Echo", small64), 200_000, 64, 4000);
  rows.push({
    what: "echo 64 B, 64 in flight, 2 instances (calls/s)",
    baseline: fmt(base64.perSecond),
    wactor: fmt(two.perSecond),
    ratio: fmt(two.perSecond / base64.perSecond, 3),
  });
  await host.stopActor(twoKey);

  const payload = new Uint8Array(64);
  const directLat = await latencies(() => direct.invoke("Echo", payload), 5000);
  const hostLat = await latencies(() => host.invoke(key, "Echo", payload), 5000);
  rows.push({
    what: "echo 64 B latency p50 (µs)",
    baseline: fmt(percentile(directLat, 50), 1),
    wactor: fmt(percentile(hostLat, 50), 1),
    ratio: fmt(percentile(hostLat, 50) / percentile(directLat, 50), 1),
  });
  rows.push({
    what: "echo 64 B latency p99 (µs)",
    baseline: fmt(percentile(directLat, 99), 1),
    wactor: fmt(percentile(hostLat, 99), 1),
    ratio: fmt(percentile(hostLat, 99) / percentile(directLat, 99), 1),
  });

  // One host call round trip = (HostCall op) - (Echo op), at the median.
  const hc = enc("default|wascc:extras|Echo|x");
  const directHc = await latencies(() => direct.invoke("HostCall", hc), 5000);
  const hostHc = await latencies(() => host.invoke(key, "HostCall", hc), 5000);
  const directRt = percentile(directHc, 50) - percentile(directLat, 50);
  const hostRt = percentile(hostHc, 50) - percentile(hostLat, 50);
  rows.push({
    what: "one host call round trip p50 (µs)",
    baseline: fmt(directRt, 1),
    wactor: fmt(hostRt, 1),
    ratio: fmt(hostRt / Math.max(directRt, 0.01), 1),
  });

  // Instance start: verify + compile + instantiate (baseline in-thread) vs host.startActor.
  for (const [label, bytes] of [
    ["small", await sign(raw)],
    ["2 MB", big],
  ] as const) {
    const t0 = performance.now();
    await verifyModule(bytes);
    WapcGuest.create(await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>), { hostCall: () => ({ ok: false, error: "" }) });
    const baseMs = performance.now() - t0;
    await new Promise((r) => setTimeout(r, 200));
    const t1 = performance.now();
    const info = await host.startActor(bytes, { instances: 1 });
    const hostMs = performance.now() - t1;
    await host.stopActor(info.key);
    rows.push({
      what: `start ${label} actor, ${fmt(bytes.length / 1024)} KiB (ms)`,
      baseline: fmt(baseMs, 2),
      wactor: fmt(hostMs, 2),
      ratio: fmt(hostMs / baseMs, 1),
    });
  }

  // Memory per instance: RSS growth for 8 more instances.
  await new Promise((r) => setTimeout(r, 300));
  const rss0 = process.memoryUsage().rss;
  const many = await host.startActor(await sign(raw), { instances: 8 });
  await new Promise((r) => setTimeout(r, 300));
  const perInstance = (process.memoryUsage().rss - rss0) / 8;
  rows.push({
    what: "memory per instance (MiB RSS)",
    baseline: fmt(direct.memoryBytes / 1048576, 2),
    wactor: fmt(perInstance / 1048576, 2),
    ratio: fmt(perInstance / direct.memoryBytes, 1),
  });
  await host.stopActor(many.key);
  await host.shutdown();
  return rows;
}
