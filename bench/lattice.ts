/**
 * A cross-host actor call against raw NATS request/reply of the same bytes at the same
 * concurrency, in one run. The serving side is a separate process in both cases (a
 * `wactor up --lattice` host running echo; a plain nats.js responder), the calling side is
 * this process (a lattice host with no actors; a plain nats.js requester).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { connect } from "nats";
import { encode } from "@msgpack/msgpack";
import { pino } from "pino";
import { Host, KeyPair, LatticeHost } from "../dist/src/mod.js";
import { actor } from "../test/helpers/actors.js";
import { startNats } from "../test/helpers/servers.js";
import { fmt, pipelinedRate, sequentialRate } from "./stats.js";
import type { Row } from "./runtime.js";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

function child(args: string[], ready: string): Promise<ChildProcess> {
  const proc = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    proc.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes(ready)) resolve(proc);
    });
    proc.once("exit", (code) => reject(new Error(`child exited (${code}) before '${ready}'`)));
  });
}

export async function latticeBench(): Promise<Row[]> {
  const nats = await startNats({ jetstream: true });
  const clusterSeed = KeyPair.create("cluster").seed;
  const dir = mkdtempSync(join(tmpdir(), "wactor-bench-"));
  const manifest = join(dir, "echo.yaml");
  writeFileSync(manifest, `actors:\n  - { path: ${actor("echo").signedPath}, instances: 2 }\n`);
  const responderScript = `import { connect } from "nats"; const nc = await connect({ servers: "${nats.url}", noAsyncTraces: true }); nc.subscribe("bench.raw", { callback: (_e, m) => m.respond(m.data) }); await nc.flush(); console.log("responder ready");`;
  const children: ChildProcess[] = [];
  const caller = new Host({ logger: pino({ level: "silent" }) });
  // The same client options as the lattice's own connections, so only wactor's work differs.
  const nc = await connect({ servers: nats.url, noAsyncTraces: true });
  let lattice: LatticeHost | undefined;
  try {
    children.push(await child(["--input-type=module", "-e", responderScript], "responder ready"));
    children.push(await child([...(process.env.WACTOR_BENCH_PROFILE ? ["--cpu-prof", "--cpu-prof-dir=/tmp/prof2"] : []), "bin/wactor.js", "up", manifest, "--lattice", nats.url, "--cluster-seed", clusterSeed, "--log-level", "error"], "lattice  default"));
    lattice = await LatticeHost.join(caller, { url: nats.url, clusterSeed, logger: pino({ level: "silent" }) });
    const echo = actor("echo").publicKey;
    const request = encode({ method: "GET", path: "/bench", queryString: "", header: {}, body: new Uint8Array(64) });
    const raw = () => nc.request("bench.raw", request, { timeout: 5000 });
    const cross = () => lattice!.invoke(echo, "HandleRequest", request);
    for (const fn of [raw, cross]) await pipelinedRate(fn, 2000, 16, 2000); // warm-up
    const rawSeq = await sequentialRate(raw, 5000, 4000);
    const crossSeq = await sequentialRate(cross, 5000, 4000);
    const rawPipe = await pipelinedRate(raw, 60_000, 64, 4000);
    const crossPipe = await pipelinedRate(cross, 60_000, 64, 4000);
    return [
      { what: "one at a time (calls/s): raw NATS request/reply vs cross-host actor call", baseline: fmt(rawSeq.perSecond), wactor: fmt(crossSeq.perSecond), ratio: fmt(crossSeq.perSecond / rawSeq.perSecond, 2) },
      { what: "round trip one at a time (µs)", baseline: fmt(1e6 / rawSeq.perSecond), wactor: fmt(1e6 / crossSeq.perSecond), ratio: "-" },
      { what: "64 in flight (calls/s): raw NATS vs cross-host actor call", baseline: fmt(rawPipe.perSecond), wactor: fmt(crossPipe.perSecond), ratio: fmt(crossPipe.perSecond / rawPipe.perSecond, 2) },
    ];
  } finally {
    await lattice?.leave();
    await caller.shutdown();
    await nc.close();
    for (const c of children) {
      const exited = new Promise((r) => c.once("exit", r));
      c.kill("SIGTERM");
      await exited;
    }
    await nats.stop();
  }
}
