/**
 * A cross-host actor call against raw NATS request/reply of the same bytes at the same
 * concurrency, in one run, with both invocation authentications. The serving side is a
 * separate process in every case (a `wactor up --lattice` host running echo; a plain nats.js
 * responder), the calling side is this process (two lattice hosts with no actors, one sending
 * with sessions, one with a JWT per call; a plain nats.js requester).
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

async function until(check: () => boolean, maxMs: number): Promise<void> {
  const deadline = Date.now() + maxMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("the session caller never got a session route to the echo host");
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function latticeBench(): Promise<Row[]> {
  const nats = await startNats({ jetstream: true });
  const clusterSeed = KeyPair.create("cluster").seed;
  const dir = mkdtempSync(join(tmpdir(), "wactor-bench-"));
  const manifest = join(dir, "echo.yaml");
  writeFileSync(manifest, `actors:\n  - { path: ${actor("echo").signedPath}, instances: 2 }\n`);
  const responderScript = `import { connect } from "nats"; const nc = await connect({ servers: "${nats.url}", noAsyncTraces: true }); nc.subscribe("bench.raw", { callback: (_e, m) => m.respond(m.data) }); await nc.flush(); console.log("responder ready");`;
  const children: ChildProcess[] = [];
  const hosts = [new Host({ logger: pino({ level: "silent" }) }), new Host({ logger: pino({ level: "silent" }) })];
  // The same client options as the lattice's own connections, so only wactor's work differs.
  const nc = await connect({ servers: nats.url, noAsyncTraces: true });
  const lattices: LatticeHost[] = [];
  try {
    children.push(await child(["--input-type=module", "-e", responderScript], "responder ready"));
    children.push(await child([...(process.env.WACTOR_BENCH_PROFILE ? ["--cpu-prof", "--cpu-prof-dir=/tmp/prof2"] : []), "bin/wactor.js", "up", manifest, "--lattice", nats.url, "--cluster-seed", clusterSeed, "--log-level", "error"], "lattice  default"));
    const bySession = await LatticeHost.join(hosts[0]!, { url: nats.url, clusterSeed, invocationAuth: "session", logger: pino({ level: "silent" }) });
    lattices.push(bySession);
    const byJwt = await LatticeHost.join(hosts[1]!, { url: nats.url, clusterSeed, invocationAuth: "jwt", logger: pino({ level: "silent" }) });
    lattices.push(byJwt);
    const echo = actor("echo").publicKey;
    const request = encode({ method: "GET", path: "/bench", queryString: "", header: {}, body: new Uint8Array(64) });
    const raw = () => nc.request("bench.raw", request, { timeout: 5000 });
    const session = () => bySession.invoke(echo, "HandleRequest", request);
    const jwt = () => byJwt.invoke(echo, "HandleRequest", request);
    await until(() => {
      void session().catch(() => {});
      return bySession.sentCounts().session > 0;
    }, 10_000);
    // Warm-up at full concurrency: the serving host's first thousands of calls run slower (JIT).
    for (const fn of [raw, session, jwt]) await pipelinedRate(fn, 6000, 64, 3000);
    const seq = { raw: await sequentialRate(raw, 5000, 4000), session: await sequentialRate(session, 5000, 4000), jwt: await sequentialRate(jwt, 5000, 4000) };
    const pipe = { raw: await pipelinedRate(raw, 60_000, 64, 4000), session: await pipelinedRate(session, 60_000, 64, 4000), jwt: await pipelinedRate(jwt, 60_000, 64, 4000) };
    const sent = bySession.sentCounts();
    if (sent.jwt > 0) process.stderr.write(`bench: the session caller sent ${sent.jwt} of ${sent.jwt + sent.session} calls with a JWT (no session route yet)\n`);
    const row = (what: string, base: number, value: number): Row => ({ what, baseline: fmt(base), wactor: fmt(value), ratio: fmt(value / base, 2) });
    return [
      row("one at a time (calls/s): raw NATS vs cross-host call, session MAC", seq.raw.perSecond, seq.session.perSecond),
      row("one at a time (calls/s): raw NATS vs cross-host call, JWT per call", seq.raw.perSecond, seq.jwt.perSecond),
      { what: "round trip one at a time (µs): raw / session / JWT", baseline: fmt(1e6 / seq.raw.perSecond), wactor: `${fmt(1e6 / seq.session.perSecond)} / ${fmt(1e6 / seq.jwt.perSecond)}`, ratio: "-" },
      row("64 in flight (calls/s): raw NATS vs cross-host call, session MAC", pipe.raw.perSecond, pipe.session.perSecond),
      row("64 in flight (calls/s): raw NATS vs cross-host call, JWT per call", pipe.raw.perSecond, pipe.jwt.perSecond),
    ];
  } finally {
    for (const l of lattices) await l.leave();
    for (const h of hosts) await h.shutdown();
    await nc.close();
    for (const c of children) {
      const exited = new Promise((r) => c.once("exit", r));
      c.kill("SIGTERM");
      await exited;
    }
    await nats.stop();
  }
}
