/**
 * Density: 1,000 distinct actors (distinct module keys, one instance each) started in one
 * host through Host.startActor, with the process's RSS; and the cost of one more instance of
 * a loaded actor. Baseline: the same module's bare `new WebAssembly.Instance` (+ _start).
 */
import { readFileSync } from "node:fs";
import { pino } from "pino";
import { Host, KeyPair, signModule } from "../dist/src/mod.js";
import { moduleHash } from "../dist/src/claims/hash.js";
import { MeteredGuest } from "../dist/src/runtime/metered-guest.js";
import { instrumentedModule } from "../dist/src/runtime/transform/transform-cache.js";
import { actor } from "../test/helpers/actors.js";
import { fmt } from "./stats.js";
import type { Row } from "./runtime.js";

const ACTORS = Number(process.env.BENCH_ACTORS ?? 1000);
const MiB = 1024 * 1024;

export async function densityBench(): Promise<Row[]> {
  const rows: Row[] = [];
  const echo = new Uint8Array(readFileSync(actor("echo").path));
  const account = KeyPair.create("account");
  const signed: Uint8Array[] = [];
  for (let i = 0; i < ACTORS; i++) signed.push((await signModule(echo, { issuer: account, subject: KeyPair.create("module"), caps: ["wascc:http_server"], name: `echo${i}` })).bytes);

  const host = new Host({ logger: pino({ level: "silent" }) });
  try {
    // The transform is cached by code hash: warm it, as any second start of this code would be.
    await instrumentedModule(signed[0]!, moduleHash(signed[0]!));
    globalThis.gc?.();
    const rssBefore = process.memoryUsage().rss;
    const started = performance.now();
    for (const bytes of signed) await host.startActor(bytes, { instances: 1 });
    const seconds = (performance.now() - started) / 1000;
    globalThis.gc?.();
    const rss = process.memoryUsage().rss;
    const health = await Promise.all(host.listActors().map((a) => host.invoke(a.key, "HealthRequest", new Uint8Array())));
    if (health.some((r) => r.length !== 0)) throw new Error("an actor did not answer its health check");
    rows.push({ what: `${fmt(ACTORS)} distinct echo actors started through Host.startActor (s; target <= 10)`, baseline: "-", wactor: fmt(seconds, 2), ratio: `${fmt((seconds * 1000) / ACTORS, 2)} ms each` });
    rows.push({ what: `process RSS with them (MiB; target <= 1,024)`, baseline: fmt(rssBefore / MiB), wactor: fmt(rss / MiB), ratio: `${fmt((rss - rssBefore) / ACTORS / 1024, 0)} KiB each` });
  } finally {
    await host.shutdown();
  }

  // One more instance: instantiate, run the guest's initializers, grow the suspend region.
  const { bytes } = await instrumentedModule(signed[0]!, moduleHash(signed[0]!));
  const metered = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  const plain = new WebAssembly.Module(echo as Uint8Array<ArrayBuffer>);
  const hooks = { hostCall: () => ({ ok: false as const, error: "none" }), tick: () => "run" as const };
  const noop = () => undefined;
  const plainImports = { wapc: Object.fromEntries(WebAssembly.Module.imports(plain).filter((i) => i.module === "wapc").map((i) => [i.name, noop])), env: { abort: noop } };
  // Instances are kept, as a pool keeps them: made and dropped at once, their memories'
  // reservations would make the figure a measure of the garbage collector.
  const time = (make: () => unknown, n = 200): number => {
    const kept: unknown[] = [];
    for (let i = 0; i < 20; i++) kept.push(make());
    const t = performance.now();
    for (let i = 0; i < n; i++) kept.push(make());
    return ((performance.now() - t) * 1000) / n;
  };
  const bare = time(() => {
    const instance = new WebAssembly.Instance(plain, plainImports);
    (instance.exports._start as (() => void) | undefined)?.();
    return instance;
  });
  const ours = time(() => MeteredGuest.create(metered, hooks));
  rows.push({ what: "one more instance of a loaded actor (µs; target <= 100): bare instantiate + _start vs a metered instance", baseline: fmt(bare, 1), wactor: fmt(ours, 1), ratio: fmt(ours / bare, 2) });
  return rows;
}
