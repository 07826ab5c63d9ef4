/** `npm run bench`: every figure is a ratio against a baseline measured in the same run. */
import { asyncifyBench } from "./asyncify.js";
import { bundlesBench } from "./bundles.js";
import { coldStartBench } from "./cold-start.js";
import { densityBench } from "./density.js";
import { failoverBench } from "./failover.js";
import { hostileBench } from "./hostile.js";
import { httpBench } from "./http.js";
import { httpClientBench } from "./http-client.js";
import { latticeBench } from "./lattice.js";
import { registryBench } from "./registry.js";
import { runnablesBench } from "./runnables.js";
import { runtimeBench, type Row } from "./runtime.js";
import { runtimeNodeBench } from "./runtime-node.js";
import { suspensionMode } from "../dist/src/runtime/suspension.js";
import { storageBench } from "./storage.js";
import { tracingBench } from "./tracing.js";

function table(title: string, rows: Row[]): string {
  const lines = [`\n### ${title}\n`, "| measure | baseline | wactor | ratio |", "| --- | ---: | ---: | ---: |"];
  for (const r of rows) lines.push(`| ${r.what} | ${r.baseline} | ${r.wactor} | ${r.ratio} |`);
  return lines.join("\n");
}

const only = process.argv[2];
// Every figure depends on the engine: say which one, and how it suspends guests.
process.stdout.write(`wactor bench on Node ${process.version} (V8 ${process.versions.v8}), guests suspended by ${suspensionMode()}\n`);
if (!only || only === "node") {
  process.stdout.write(
    `${table("The runtime on this Node: JSPI against the asyncify fallback, interleaved (baselines in the same run)", await runtimeNodeBench())}\n`,
  );
}
if (!only || only === "runtime") {
  process.stdout.write(`${table("Runtime, in-process (baseline: direct in-thread call of the same Wasm export)", await runtimeBench())}\n`);
}
if (!only || only === "asyncify") {
  process.stdout.write(
    `${table("One async host call per invocation, in-process (baseline: the no-isolation limit, asyncified in-thread)", await asyncifyBench())}\n`,
  );
}
if (!only || only === "cold") {
  process.stdout.write(`${table("Cold start: new code, empty transform cache (issue 27's targets)", await coldStartBench())}\n`);
}
if (!only || only === "density") {
  process.stdout.write(`${table("Density (baseline: a bare Wasm instance)", await densityBench())}\n`);
}
if (!only || only === "hostile") {
  process.stdout.write(`${table("Isolation under attack, in-process (baseline: the same healthy actor alone)", await hostileBench())}\n`);
}
if (!only || only === "http") {
  process.stdout.write(
    `${table(`HTTP, autocannon -c 50 -d ${process.env.BENCH_SECONDS ?? 5} (baselines: bare fastify, fastify + ioredis)`, await httpBench())}\n`,
  );
}
if (!only || only === "http-client") {
  process.stdout.write(
    `${table(`Outbound HTTP, autocannon -c 50 -d ${process.env.BENCH_SECONDS ?? 5} (baseline: the no-isolation limit awaiting undici in-thread)`, await httpClientBench())}\n`,
  );
}
if (!only || only === "runnables") {
  process.stdout.write(
    `${table(`Reactr runnables over HTTP, autocannon -c 50 -d ${process.env.BENCH_SECONDS ?? 5} (baseline: the same module called in-thread by a fastify handler)`, await runnablesBench())}\n`,
  );
}
if (!only || only === "bundles") {
  process.stdout.write(
    `${table(`Bundles over HTTP, autocannon -c 50 -d ${process.env.BENCH_SECONDS ?? 5} (baseline: a fastify handler running the same modules in-thread in the same steps)`, await bundlesBench())}\n`,
  );
}
if (!only || only === "tracing") {
  process.stdout.write(
    `${table(`Tracing over HTTP, autocannon -c 50 -d ${process.env.BENCH_SECONDS ?? 5} (baseline: the same actor on a host without tracing)`, await tracingBench())}\n`,
  );
}
if (!only || only === "lattice") {
  process.stdout.write(`${table("Lattice over nats-server on loopback (baseline: raw NATS request/reply of the same bytes)", await latticeBench())}\n`);
}
if (!only || only === "registry") {
  process.stdout.write(`${table("OCI registry, docker-registry on loopback (baseline: the same requests by hand, or a file read)", await registryBench())}\n`);
}
if (!only || only === "storage") {
  process.stdout.write(
    `${table("Blob store on a local directory, event streams on redis-server (baselines: plain fs streams, direct ioredis XADD)", await storageBench())}\n`,
  );
}
if (only === "failover") {
  process.stdout.write(`${table("A 3-node JetStream cluster, one server SIGKILLed (lattice host on it; loopback)", await failoverBench())}\n`);
}
process.exit(0);
