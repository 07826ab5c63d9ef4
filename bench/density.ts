/**
 * Density: 1,000 distinct actors (distinct module keys, one instance each) started in one
 * host through Host.startActor, with the process's RSS; and the cost of one more instance of
 * a loaded actor. Baseline: the same module's bare `new WebAssembly.Instance` (+ _start).
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { pino } from "pino";
import { Host, KeyPair, signModule } from "../dist/src/mod.js";
import { moduleHash } from "../dist/src/claims/hash.js";
import { MeteredGuest } from "../dist/src/runtime/metered/metered-guest.js";
import { instrumentedModule } from "../dist/src/runtime/transform/transform-cache.js";
import { actor } from "../test/helpers/actors.js";
import { rawGuestBytes } from "../test/helpers/raw-guest.js";
import { fmt } from "./stats.js";
import type { Row } from "./runtime.js";

const ACTORS = Number(process.env.BENCH_ACTORS ?? 1000);
const MiB = 1024 * 1024;

export async function densityBench(): Promise<Row[]> {
  const rows: Row[] = [];
  const echo = new Uint8Array(readFileSync(actor("echo").path));
  const account = KeyPair.create("account");
  const signed: Uint8Array[] = [];
  for (let i = 0; i < ACTORS; i++)
    signed.push((await signModule(echo, { issuer: account, subject: KeyPair.create("module"), caps: ["wascc:http_server"], name: `echo${i}` })).bytes);

  // Started in a process of their own (cold-many.mjs): this one has loaded Binaryen for the
  // asyncified limits of other rows (1.3 GiB of RSS on Node 26), which no host process does.
  const dir = mkdtempSync(join(tmpdir(), "wactor-density-"));
  signed.forEach((bytes, i) => writeFileSync(join(dir, `${String(i).padStart(5, "0")}.wasm`), bytes));
  const { stdout } = await promisify(execFile)(process.execPath, ["--expose-gc", fileURLToPath(new URL("./cold-many.mjs", import.meta.url)), dir], {
    maxBuffer: 1024 * 1024,
  });
  rmSync(dir, { recursive: true, force: true });
  const m = JSON.parse(stdout) as { actors: number; seconds: number; rssBefore: number; rss: number };
  rows.push({
    what: `${fmt(m.actors)} distinct echo actors (one code, distinct module keys) started through Host.startActor in a fresh process (s; target <= 10)`,
    baseline: "-",
    wactor: fmt(m.seconds, 2),
    ratio: `${fmt((m.seconds * 1000) / m.actors, 2)} ms each`,
  });
  rows.push({
    what: `that process's RSS with them, every one answered (MiB; target <= 1,024); baseline: the host made, before the first`,
    baseline: fmt(m.rssBefore / MiB),
    wactor: fmt(m.rss / MiB),
    ratio: `${fmt((m.rss - m.rssBefore) / m.actors / 1024, 0)} KiB each`,
  });

  // One more instance: instantiate, run the guest's initializers, grow the suspend region.
  // Made interleaved with the baseline after a collection, so both see the same heap.
  globalThis.gc?.();
  const { bytes } = await instrumentedModule(signed[0]!, moduleHash(signed[0]!));
  const metered = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  const plain = new WebAssembly.Module(echo as Uint8Array<ArrayBuffer>);
  const hooks = { hostCall: () => ({ ok: false as const, error: "none" }), tick: () => "run" as const };
  const noop = () => undefined;
  const plainImports = {
    wapc: Object.fromEntries(
      WebAssembly.Module.imports(plain)
        .filter((i) => i.module === "wapc")
        .map((i) => [i.name, noop]),
    ),
    env: { abort: noop },
  };
  const makeBare = (): unknown => {
    const instance = new WebAssembly.Instance(plain, plainImports);
    (instance.exports._start as (() => void) | undefined)?.();
    return instance;
  };
  const makeOurs = (): unknown => MeteredGuest.create(metered, hooks);
  // Instances are kept, as a pool keeps them: made and dropped at once, their memories'
  // reservations would make the figure a measure of the garbage collector.
  const kept: unknown[] = [];
  let bareMs = 0;
  let oursMs = 0;
  for (let i = 0; i < 200; i++) {
    let t = performance.now();
    kept.push(makeBare());
    bareMs += performance.now() - t;
    t = performance.now();
    kept.push(makeOurs());
    oursMs += performance.now() - t;
  }
  kept.length = 0;
  const bare = (bareMs * 1000) / 200;
  const ours = (oursMs * 1000) / 200;
  rows.push({
    what: "making one more instance (µs): bare instantiate + _start vs a metered instance (+ suspend region, hooks)",
    baseline: fmt(bare, 1),
    wactor: fmt(ours, 1),
    ratio: fmt(ours / bare, 2),
  });
  const scaled = await scaleUpLatency();
  rows.push({
    what: "an invocation that scales its actor up by one instance (µs; target <= 100): on an idle instance vs the one made ahead",
    baseline: fmt(scaled.idle, 1),
    wactor: fmt(scaled.scaling, 1),
    ratio: fmt(scaled.scaling / scaled.idle, 2),
  });
  return rows;
}

/**
 * Median time of an Echo invocation that needs one more instance (every other instance is
 * held by an invocation waiting on its provider), against one that finds an idle instance.
 */
async function scaleUpLatency(): Promise<{ idle: number; scaling: number }> {
  const host = new Host({ logger: pino({ level: "silent" }) });
  const release: Array<() => void> = [];
  try {
    await host.addProvider({
      capabilityId: "wascc:logging",
      name: "gate",
      start: async () => {},
      stop: async () => {},
      bind: async () => {},
      unbind: async () => {},
      bindingStatus: () => ({ state: "ok" as const }),
      handleCall: (c: { payload: Uint8Array }) => new Promise<Uint8Array>((resolve) => release.push(() => resolve(c.payload))),
    });
    const signed = await signModule(rawGuestBytes(), { issuer: KeyPair.create("account"), subject: KeyPair.create("module"), caps: ["wascc:logging"] });
    const key = (await host.startActor(signed.bytes, { instances: 64 })).key;
    await host.bind(key, "wascc:logging", "default", {});
    const echo = new TextEncoder().encode("x");
    const gate = new TextEncoder().encode("default|wascc:logging|Gate|x");
    const idle: number[] = [];
    const scaling: number[] = [];
    const held: Promise<unknown>[] = [];
    for (let i = 0; i < 60; i++) {
      let t = performance.now();
      await host.invoke(key, "Echo", echo);
      idle.push((performance.now() - t) * 1000);
      // Hold every idle instance, then let the spare be made, then time the next invocation.
      while ((host.actorInfo(key)?.inFlight ?? 0) < (host.actorInfo(key)?.liveInstances ?? 0)) held.push(host.invoke(key, "HostCall", gate));
      await new Promise((resolve) => setImmediate(resolve));
      t = performance.now();
      await host.invoke(key, "Echo", echo);
      scaling.push((performance.now() - t) * 1000);
    }
    for (const r of release.splice(0)) r();
    await Promise.all(held);
    const median = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    return { idle: median(idle), scaling: median(scaling) };
  } finally {
    await host.shutdown();
  }
}
