import { readFileSync } from "node:fs";
import { instrument } from "./instrument-variant.js";
import { encodeHttpRequest } from "../dist/src/codec/mod.js";
import { stripCustomSections } from "../src/claims/wasm-sections.js";
const name = process.argv[2] ?? "echo";
const bytes = stripCustomSections(readFileSync(`actors/build/${name}.wasm`), () => true);
const variants: Record<string, Uint8Array> = {
  plain: bytes,
  fuelOnly: instrument(bytes, null).bytes,
  fuelAsyncHost: instrument(bytes, "wapc.__host_call").bytes,
  asyncHostNoFuel: instrument(bytes, "wapc.__host_call", false).bytes,
  current: instrument(bytes).bytes,
  lvl2: instrument(bytes, undefined, true, 2).bytes,
  lvl3: instrument(bytes, undefined, true, 3).bytes,
  lvl2post: instrument(bytes, undefined, true, 2, true).bytes,
};
const op = new TextEncoder().encode("HandleRequest");
const msg = encodeHttpRequest({ method: "GET", path: "/hello/world", queryString: "a=1&b=2", header: { host: "127.0.0.1:3000", "user-agent": "autocannon", accept: "*/*" }, body: new Uint8Array() });
function make(b: Uint8Array) {
  let ex: any; let resp: Uint8Array | undefined;
  const mem = () => new Uint8Array(ex.memory.buffer);
  const inst = new WebAssembly.Instance(new WebAssembly.Module(b), {
    wapc: { __guest_request: (o: number, m: number) => { mem().set(op, o); mem().set(msg, m); }, __guest_response: (p: number, l: number) => { resp = mem().slice(p, p + l); }, __guest_error: () => {}, __host_call: () => 0, __host_response_len: () => 0, __host_response: () => {}, __host_error_len: () => 0, __host_error: () => {}, __console_log: () => {} },
    wactor: { tick: () => { ex.__wactor_fuel.value = 5000; } },
    env: { abort: () => { throw new Error("abort"); } },
  });
  ex = inst.exports;
  for (const n of ["_start", "wapc_init"]) ex[n]?.();
  return () => { ex.__wactor_fuel && (ex.__wactor_fuel.value = 5000); if (ex.__guest_call(op.length, msg.length) !== 1) throw new Error("fail"); return resp!; };
}
const fns = Object.fromEntries(Object.entries(variants).map(([k, b]) => [k, make(b)]));
const best: Record<string, number> = {};
for (let round = 0; round < 5; round++) for (const [k, f] of Object.entries(fns)) {
  const t = performance.now(); let n = 0;
  while (performance.now() - t < 400) { for (let i = 0; i < 200; i++) f(); n += 200; }
  const r = n / ((performance.now() - t) / 1000); best[k] = Math.max(best[k] ?? 0, r);
}
for (const [k, r] of Object.entries(best)) console.log(k.padEnd(16), Math.round(r), (r / best.plain).toFixed(2), variants[k].length);
