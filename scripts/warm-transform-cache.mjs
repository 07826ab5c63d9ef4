// Instruments the example actors into the transform cache (docs/runtime.md), so the first
// start of each one, in tests or in `wactor up`, does not wait for a transform: the asyncify
// fallback's (Binaryen) takes seconds for all of them; JSPI's one pass, a millisecond each.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { moduleHash } from "../dist/src/claims/hash.js";
import { moduleKind } from "../dist/src/runtime/compile-actor.js";
import { suspensionMode } from "../dist/src/runtime/suspension.js";
import { instrumentedModule } from "../dist/src/runtime/transform/transform-cache.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const manifest = JSON.parse(readFileSync(join(ROOT, "actors/build/manifest.json"), "utf8"));
const started = performance.now();
const results = await Promise.all(
  Object.entries(manifest).map(async ([name, actor]) => {
    const bytes = new Uint8Array(readFileSync(join(ROOT, actor.signedPath)));
    // The kind is part of the cache key: a Reactr runnable suspends at other imports.
    const kind = (await moduleKind(bytes)) === "runnable" ? "runnable" : "wapc";
    // Both ways of suspending where the engine has JSPI: the asyncify fallback is tested too.
    const modes = suspensionMode() === "jspi" ? ["jspi", "asyncify"] : ["asyncify"];
    let cached = true;
    for (const mode of modes) cached = (await instrumentedModule(bytes, moduleHash(bytes), undefined, kind, mode)).cached && cached;
    return `${name}${cached ? "" : "*"}`;
  }),
);
console.log(`transform cache: ${results.join(" ")} (* = instrumented now) in ${Math.round(performance.now() - started)} ms`);
