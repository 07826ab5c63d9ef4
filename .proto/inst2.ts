import { readFileSync } from "node:fs";
import { moduleHash } from "../dist/src/claims/hash.js";
import { MeteredGuest } from "../dist/src/runtime/metered-guest.js";
import { instrumentedModule } from "../dist/src/runtime/transform/transform-cache.js";
const signed = new Uint8Array(readFileSync("actors/build/echo_s.wasm"));
const { bytes } = await instrumentedModule(signed, moduleHash(signed));
const metered = new WebAssembly.Module(bytes);
const kept: unknown[] = [];
const t = performance.now();
for (let i = 0; i < 3000; i++) { kept.push(MeteredGuest.create(metered, { hostCall: () => ({ ok: false, error: "x" }), tick: () => "run" })); if (kept.length > 200) kept.length = 0; }
console.log(((performance.now() - t) * 1000 / 3000).toFixed(1));
