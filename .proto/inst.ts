import { readFileSync } from "node:fs";
import { moduleHash } from "../dist/src/claims/hash.js";
import { MeteredGuest } from "../dist/src/runtime/metered-guest.js";
import { instrumentedModule } from "../dist/src/runtime/transform/transform-cache.js";
const signed = new Uint8Array(readFileSync("actors/build/echo_s.wasm"));
const { bytes } = await instrumentedModule(signed, moduleHash(signed));
const metered = new WebAssembly.Module(bytes);
const plain = new WebAssembly.Module(readFileSync("actors/build/echo.wasm"));
const noop = () => undefined;
const imps = (m: WebAssembly.Module) => { const o: any = {}; for (const i of WebAssembly.Module.imports(m)) { (o[i.module] ??= {})[i.name] = noop; } return o; };
const time = (label: string, make: () => unknown, n = 300) => { const kept: unknown[] = []; for (let i = 0; i < 20; i++) kept.push(make()); const t = performance.now(); for (let i = 0; i < n; i++) kept.push(make()); console.log(label.padEnd(30), (((performance.now() - t) * 1000) / n).toFixed(1)); };
const pi = imps(plain), mi = imps(metered);
console.log("exports", WebAssembly.Module.exports(plain).map(e=>e.name).join(","));
for (let r = 0; r < 2; r++) {
time("memory 1 page", () => new WebAssembly.Memory({ initial: 1 }));
time("plain instantiate", () => new WebAssembly.Instance(plain, pi));
time("plain inst+_start", () => { const i = new WebAssembly.Instance(plain, pi); (i.exports._start as any)?.(); return i; });
time("plain inst+_start+grow2", () => { const i = new WebAssembly.Instance(plain, pi); (i.exports._start as any)?.(); (i.exports.memory as WebAssembly.Memory).grow(2); return i; });
time("metered instantiate", () => new WebAssembly.Instance(metered, mi));
time("metered inst+_start", () => { const i = new WebAssembly.Instance(metered, mi); (i.exports._start as any)?.(); return i; });
time("MeteredGuest.create", () => MeteredGuest.create(metered, { hostCall: () => ({ ok: false, error: "x" }), tick: () => "run" }));
}
// interleaved, fair
{
  const kept: unknown[] = []; let tb = 0, tm = 0, tg = 0; const n = 300;
  for (let i = 0; i < n; i++) {
    let t = performance.now(); { const x = new WebAssembly.Instance(plain, pi); (x.exports._start as any)?.(); kept.push(x); } tb += performance.now() - t;
    t = performance.now(); { const x = new WebAssembly.Instance(plain, pi); (x.exports._start as any)?.(); (x.exports.memory as WebAssembly.Memory).grow(2); kept.push(x); } tg += performance.now() - t;
    t = performance.now(); kept.push(MeteredGuest.create(metered, { hostCall: () => ({ ok: false, error: "x" }), tick: () => "run" })); tm += performance.now() - t;
  }
  console.log("interleaved bare", (tb * 1000 / n).toFixed(1), "bare+grow", (tg * 1000 / n).toFixed(1), "metered", (tm * 1000 / n).toFixed(1));
}
{
  const kept: unknown[] = []; const n = 300; const T: Record<string, number> = {};
  const fns: Record<string, () => unknown> = {
    bareGrow: () => { const x = new WebAssembly.Instance(plain, pi); (x.exports._start as any)?.(); (x.exports.memory as WebAssembly.Memory).grow(2); return x; },
    meteredRawGrow: () => { const x = new WebAssembly.Instance(metered, mi); (x.exports._start as any)?.(); (x.exports.memory as WebAssembly.Memory).grow(2); return x; },
    meteredRawNoStart: () => { const x = new WebAssembly.Instance(metered, mi); return x; },
    guest: () => MeteredGuest.create(metered, { hostCall: () => ({ ok: false, error: "x" }), tick: () => "run" }),
  };
  for (let i = 0; i < n; i++) for (const [k, f] of Object.entries(fns)) { const t = performance.now(); kept.push(f()); T[k] = (T[k] ?? 0) + performance.now() - t; }
  console.log(Object.entries(T).map(([k, v]) => `${k} ${(v * 1000 / n).toFixed(1)}`).join("  "));
}
