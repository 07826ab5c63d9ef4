/**
 * Issue 27's cold-start targets (`npm run bench cold`): a distinct AssemblyScript echo from a
 * cold transform cache to its first answer (p50 <= 50 ms; <= 2 ms warm), a 2 MB Rust module
 * instrumented and compiled (<= 500 ms), 1,000 distinct actors cold (<= 30 s, <= 1 GiB RSS).
 * "Distinct" means a distinct code hash (a custom section naming the build), so nothing is
 * shared through the transform cache or the compiled-module cache.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { pino } from "pino";
import { Host, KeyPair, signModule } from "../dist/src/mod.js";
import { moduleHash } from "../dist/src/claims/hash.js";
import { compileActorModule } from "../dist/src/runtime/compile-actor.js";
import { MeteredGuest } from "../dist/src/runtime/metered/metered-guest.js";
import { suspensionMode } from "../dist/src/runtime/suspension.js";
import { instrumentedModule } from "../dist/src/runtime/transform/transform-cache.js";
import { Reader, Writer } from "../dist/src/runtime/transform/wasm-bytes.js";
import { readLayout } from "../dist/src/runtime/transform/wasm-module.js";
import { actor } from "../test/helpers/actors.js";
import type { Row } from "./runtime.js";
import { fmt, percentile } from "./stats.js";

const MiB = 1024 * 1024;
const run = promisify(execFile);
const SAMPLES = Number(process.env.BENCH_COLD_SAMPLES ?? 20);
const ACTORS = Number(process.env.BENCH_COLD_ACTORS ?? 1000);
const HEALTH = new TextEncoder().encode("HealthRequest");
const p50 = (xs: number[]): number =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );

/** A copy of `bytes` with its own code hash (a custom section naming `n`), as a new build is. */
export function distinct(bytes: Uint8Array, n: number): Uint8Array {
  const name = new TextEncoder().encode(`build-${n}-${Date.now()}`);
  const out = new Uint8Array(bytes.length + 3 + name.length);
  out.set(bytes);
  out.set([0, name.length + 1, name.length], bytes.length);
  out.set(name, bytes.length + 3);
  return out;
}

export async function coldStartBench(): Promise<Row[]> {
  const echo = new Uint8Array(readFileSync(actor("echo").path));
  const account = KeyPair.create("account");
  const sign = async (bytes: Uint8Array, name: string): Promise<Uint8Array> =>
    (await signModule(bytes, { issuer: account, subject: KeyPair.create("module"), caps: ["wascc:http_server"], name })).bytes;
  const rows: Row[] = [];
  const mode = suspensionMode();

  // 1. 1,000 distinct actors, every one a new code hash, one host, an empty cache, in a
  // process of its own (cold-many.mjs) so its RSS is not the garbage of signing them.
  const many = mkdtempSync(join(tmpdir(), "wactor-cold-many-"));
  for (let i = 0; i < ACTORS; i++) writeFileSync(join(many, `${String(i).padStart(5, "0")}.wasm`), await sign(distinct(echo, 2e6 + i), `echo-many-${i}`));
  const { stdout } = await run(process.execPath, ["--expose-gc", fileURLToPath(new URL("./cold-many.mjs", import.meta.url)), many], { maxBuffer: 1024 * 1024 });
  const m = JSON.parse(stdout) as { actors: number; seconds: number; rssBefore: number; rss: number; heapUsed: number; external: number };
  rows.push({
    what: `${fmt(m.actors)} distinct echo builds (distinct code hashes), empty cache, started through Host.startActor in a fresh process (s; target <= 30)`,
    baseline: "-",
    wactor: fmt(m.seconds, 2),
    ratio: `${fmt((m.seconds * 1000) / m.actors, 2)} ms each`,
  });
  rows.push({
    what: `that process's RSS with them, every one answered (MiB; target <= 1,024); baseline: with the host made, before the first`,
    baseline: fmt(m.rssBefore / MiB),
    wactor: fmt(m.rss / MiB),
    ratio: `${fmt((m.rss - m.rssBefore) / m.actors / 1024, 0)} KiB each; JS heap ${fmt(m.heapUsed / MiB)} MiB, external ${fmt(m.external / MiB)} MiB`,
  });

  // 2. Distinct echo builds, each through a host of its own with an empty cache, to the first answer.
  const cold: number[] = [];
  const warm: number[] = [];
  const disk: number[] = [];
  const transform: number[] = [];
  const hooks = { hostCall: () => ({ ok: false as const, error: "none" }), tick: () => "run" as const };
  for (let i = -1; i < SAMPLES; i++) {
    const code = distinct(echo, i);
    const signed = await sign(code, `echo-cold-${i}`);
    const dir = mkdtempSync(join(tmpdir(), "wactor-cold-"));
    const host = new Host({ logger: pino({ level: "silent" }), cacheDir: dir });
    try {
      let t = performance.now();
      const key = (await host.startActor(signed, { instances: 1 })).key;
      await host.invoke(key, "HealthRequest", new Uint8Array());
      if (i >= 0) cold.push(performance.now() - t); // the first start loads the runtime's code
      // The same code again under another identity: the compiled module is shared.
      const again = await sign(code, `echo-warm-${i}`);
      t = performance.now();
      const second = (await host.startActor(again, { instances: 1 })).key;
      await host.invoke(second, "HealthRequest", new Uint8Array());
      if (i >= 0) warm.push(performance.now() - t);
      // From the disk cache, as a restarted host finds it: read, compile, instantiate.
      t = performance.now();
      const { bytes: instrumented } = await instrumentedModule(code, moduleHash(code), dir, "wapc", mode);
      const guest = MeteredGuest.create((await compileActorModule(instrumented, 64 * MiB)).module, hooks);
      await guest.begin(HEALTH, new Uint8Array());
      if (i >= 0) disk.push(performance.now() - t);
      const fresh = await instrumentedModule(distinct(echo, 1e6 + i), moduleHash(distinct(echo, 1e6 + i)), dir, "wapc", mode);
      if (i >= 0 && fresh.report) transform.push(fresh.report.ms);
    } finally {
      await host.shutdown();
    }
  }
  rows.push({
    what: `a distinct AssemblyScript echo (${(echo.length / 1024).toFixed(0)} KiB), empty transform cache -> Host.startActor -> first answer, p50 of ${SAMPLES} (ms; target <= 50), ${mode}; baseline: the same code started again in that host (target <= 2)`,
    baseline: fmt(p50(warm), 2),
    wactor: fmt(p50(cold), 1),
    ratio: `transform ${fmt(p50(transform), 2)} ms`,
  });
  rows.push({
    what: `the same echo from the disk cache (a restarted host): read + compile + instantiate + first answer, p50 of ${SAMPLES} (ms)`,
    baseline: "-",
    wactor: fmt(p50(disk), 2),
    ratio: "",
  });

  // 3. A 2 MB Rust module: resvg's wasm-bindgen build (a devDependency; not a waPC actor, but
  // Rust's code shape at that size), or the file BENCH_RUST_WASM names.
  const rustPath = process.env.BENCH_RUST_WASM ?? fileURLToPath(import.meta.resolve("@resvg/resvg-wasm/index_bg.wasm"));
  if (existsSync(rustPath)) {
    const rust = actorShaped(new Uint8Array(readFileSync(rustPath)));
    const times: number[] = [];
    const transforms: number[] = [];
    for (let i = 0; i < 6; i++) {
      const code = distinct(rust, i);
      const dir = mkdtempSync(join(tmpdir(), "wactor-cold-"));
      const t = performance.now();
      const { bytes, report } = await instrumentedModule(code, moduleHash(code), dir, "wapc", mode);
      await compileActorModule(bytes, 64 * MiB);
      times.push(performance.now() - t);
      if (report) transforms.push(report.ms);
    }
    rows.push({
      what: `a ${(rust.length / MiB).toFixed(1)} MiB Rust module (given an actor's entry), empty cache -> instrumented + compiled, in its worker (ms; target <= 500): first (starts the worker), p50 of the other 5`,
      baseline: fmt(times[0]!, 0),
      wactor: fmt(p50(times.slice(1)), 0),
      ratio: `transform ${fmt(p50(transforms.slice(1)), 0)} ms`,
    });
  } else rows.push({ what: `a 2 MB Rust module: not measured (${rustPath} is missing)`, baseline: "-", wactor: "-", ratio: "-" });

  return rows;
}

/** `bytes` with an export `__guest_call` naming its first function of type (i32, i32) -> i32. */
function actorShaped(bytes: Uint8Array): Uint8Array {
  const layout = readLayout(bytes);
  const i32 = 0x7f;
  const found = layout.functionTypes.findIndex((t) => {
    const sig = layout.signatures[t];
    return sig !== undefined && sig.params.length === 2 && sig.params.every((p) => p === i32) && sig.results.length === 1 && sig.results[0] === i32;
  });
  const exports = layout.sections.find((s) => s.id === 7);
  if (found < 0 || !exports) throw new Error("the module has no function to stand for __guest_call");
  const r = new Reader(bytes, exports.start, exports.end);
  const count = r.u32();
  const content = new Writer().u32(count + 1).bytes(bytes.subarray(r.pos, exports.end));
  content
    .name("__guest_call")
    .u8(0)
    .u32(layout.functionImports.length + found);
  let header = exports.start - 1; // back over the size's LEB128 to the id byte
  while (bytes[header - 1]! & 0x80) header--;
  header--;
  return new Writer().bytes(bytes.subarray(0, header)).u8(7).sized(content).bytes(bytes.subarray(exports.end)).view().slice();
}
