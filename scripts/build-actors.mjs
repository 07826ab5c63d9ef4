#!/usr/bin/env node
// Compiles the example actors (AssemblyScript) and signs them with dev keys.
// Output: actors/build/<name>.wasm (unsigned), <name>_s.wasm (signed), keys/, manifest.json.
// Then the example Reactr runnables (AssemblyScript and hand-written WAT), the same way, into
// actors/build/runnables/ with their own manifest.json.
// Dev keys are generated on first build and reused, so actor identities stay stable;
// they live under actors/build/ and are never committed.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import asc from "assemblyscript/asc";
import { compileRunnable } from "./lib/compile-runnable.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const ACTORS = join(ROOT, "actors");
const OUT = join(ACTORS, "build");
const KEYS = join(OUT, "keys");

/** Claims of each example actor: what it may use. */
const ACTOR_CAPS = {
  echo: ["wascc:http_server"],
  kvcounter: ["wascc:http_server", "wascc:keyvalue"],
  pinger: ["wascc:http_server"],
  ponger: [],
  subscriber: ["wascc:messaging", "wascc:logging", "wascc:keyvalue"],
  multibinding: ["wascc:http_server", "wascc:keyvalue"],
  looper: ["wascc:http_server"],
  hog: ["wascc:http_server"],
  panicker: ["wascc:http_server"],
  sneaky: ["wascc:http_server"], // deliberately NOT wascc:keyvalue
  dice: ["wascc:http_server", "wascc:extras"],
  visits: ["wascc:http_server", "wascc:keyvalue", "wascc:logging"],
  blobber: ["wascc:blobstore"],
  eventwriter: ["wascc:eventstreams"],
  eventreader: ["wascc:eventstreams", "wascc:keyvalue"],
  fetcher: ["wascc:http_server", "wascc:http_client"],
  // Rust, built ahead (CI has no Rust): the committed actors/echo-rs/echo_rs.wasm is signed as is.
  // Rebuild it with `npm run build:echo-rs` on a machine with Debian's Rust packages (actors/echo-rs/README.md).
  "echo-rs": ["wascc:http_server"],
};
/** Actors whose source is not AssemblyScript: their committed unsigned module, under actors/. */
const PREBUILT_ACTORS = { "echo-rs": "echo-rs/echo_rs.wasm" };

/**
 * Claims of each example runnable (docs/runnable-guest.md). AssemblyScript ones live in
 * actors/runnables/<name>/index.ts, hand-written WAT ones (the WASI shape of Rust, TinyGo,
 * Grain and Swift modules) in actors/runnables/wat/<name>.wat. Every one claims
 * wascc:http_server so manifests/runnables.yaml can serve it; cache → wascc:keyvalue;
 * fetch_url/graphql_query → wascc:http_client; log_msg → wascc:logging.
 */
const RUNNABLE_CAPS = {
  echo: ["wascc:http_server"],
  fields: ["wascc:http_server"],
  "set-field": ["wascc:http_server"],
  headers: ["wascc:http_server"],
  cache: ["wascc:http_server", "wascc:keyvalue"],
  fetch: ["wascc:http_server", "wascc:http_client"],
  "fetch-get": ["wascc:http_server", "wascc:http_client"],
  graphql: ["wascc:http_server", "wascc:http_client"],
  logger: ["wascc:http_server", "wascc:logging"],
  abort: ["wascc:http_server"],
  fail: ["wascc:http_server"],
  // the Atmo example project's functions, same names and behaviour
  "helloworld-rs": ["wascc:http_server"],
  "modify-url": ["wascc:http_server"],
  "return-err": ["wascc:http_server"],
  "set-array": ["wascc:http_server"],
  "run-each": ["wascc:http_server"],
  "get-file": ["wascc:http_server"],
  "cache-set": ["wascc:http_server", "wascc:keyvalue", "wascc:logging"],
  "cache-get": ["wascc:http_server", "wascc:keyvalue", "wascc:logging"],
  "log-it": ["wascc:http_server", "wascc:logging"],
  "fetch-test": ["wascc:http_server", "wascc:http_client", "wascc:logging"],
  // WAT
  "wasi-hello": ["wascc:http_server"],
  "wasi-hello-swift": ["wascc:http_server"],
  "legacy-init": ["wascc:http_server"],
  "start-trap": ["wascc:http_server"],
  "no-result": ["wascc:http_server"],
  "loop-forever": ["wascc:http_server"],
  "memory-bomb": ["wascc:http_server"],
  "huge-result": ["wascc:http_server"],
};
const RUNNABLES = join(ACTORS, "runnables");
const RUNNABLES_OUT = join(OUT, "runnables");
// AssemblyScript's abort would import env.abort; a Runnable host has return_abort instead.

const { KeyPair, signModule } = await import(join(ROOT, "dist/src/claims/mod.js")).catch(() => {
  console.error("build-actors: dist/ is missing; run `npm run build` first");
  process.exit(1);
});

function newestMtime(dir) {
  return Math.max(...readdirSync(dir).map((f) => statSync(join(dir, f)).mtimeMs));
}

function keyPair(file, type) {
  if (existsSync(file)) return KeyPair.fromSeed(readFileSync(file, "utf8").trim());
  const pair = KeyPair.create(type);
  writeFileSync(file, `${pair.seed}\n`, { mode: 0o600 });
  return pair;
}

mkdirSync(KEYS, { recursive: true });
const account = keyPair(join(KEYS, "account.nk"), "account");
const sdkTime = newestMtime(join(ACTORS, "sdk"));
const manifest = {};
for (const [name, caps] of Object.entries(ACTOR_CAPS)) {
  const prebuilt = PREBUILT_ACTORS[name] ? join(ACTORS, PREBUILT_ACTORS[name]) : undefined;
  const source = join(ACTORS, name, "index.ts");
  const unsigned = join(OUT, `${name}.wasm`);
  const signed = join(OUT, `${name}_s.wasm`);
  const subject = keyPair(join(KEYS, `${name}_module.nk`), "module");
  const sourceTime = prebuilt ? statSync(prebuilt).mtimeMs : Math.max(sdkTime, newestMtime(join(ACTORS, name)));
  const fresh = existsSync(signed) && statSync(signed).mtimeMs > sourceTime;
  if (prebuilt && !fresh) copyFileSync(prebuilt, unsigned);
  else if (!fresh) {
    const { error, stderr } = await asc.main([source, "-o", unsigned, "--runtime", "incremental", "-O3"], {});
    if (error) {
      console.error(`build-actors: ${name} failed to compile:\n${stderr.toString()}`);
      process.exit(1);
    }
  }
  if (!fresh) {
    const { bytes } = await signModule(new Uint8Array(readFileSync(unsigned)), { issuer: account, subject, caps, name, ver: "0.1.0", rev: 1 });
    writeFileSync(signed, bytes);
  }
  manifest[name] = { path: `actors/build/${name}.wasm`, signedPath: `actors/build/${name}_s.wasm`, publicKey: subject.publicKey, caps };
  console.log(`${fresh ? "up to date" : "built     "} ${name.padEnd(10)} ${subject.publicKey} ${statSync(signed).size} B  caps=${caps.join(",") || "-"}`);
}
writeFileSync(join(OUT, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);

// Runnables: compiled (or assembled from WAT), kept unsigned for Atmo-style bundles, and signed.
mkdirSync(RUNNABLES_OUT, { recursive: true });
const runnableSdkTime = Math.max(newestMtime(join(ACTORS, "runnable-sdk")), statSync(join(ACTORS, "sdk", "json.ts")).mtimeMs);
let binaryen;
const runnables = {};
for (const [name, caps] of Object.entries(RUNNABLE_CAPS)) {
  const wat = join(RUNNABLES, "wat", `${name}.wat`);
  const isWat = existsSync(wat);
  const unsigned = join(RUNNABLES_OUT, `${name}.wasm`);
  const signed = join(RUNNABLES_OUT, `${name}_s.wasm`);
  const subject = keyPair(join(KEYS, `runnable_${name}_module.nk`), "module");
  const sourceTime = isWat ? statSync(wat).mtimeMs : Math.max(runnableSdkTime, newestMtime(join(RUNNABLES, name)));
  // The claims are listed in this script: editing them re-signs.
  const fresh = existsSync(unsigned) && existsSync(signed) && statSync(signed).mtimeMs > Math.max(sourceTime, statSync(fileURLToPath(import.meta.url)).mtimeMs);
  if (!fresh) {
    if (isWat) {
      binaryen ??= (await import("binaryen")).default;
      const module = binaryen.parseText(readFileSync(wat, "utf8"));
      if (!module.validate()) {
        console.error(`build-actors: runnable ${name}: ${wat} does not validate`);
        process.exit(1);
      }
      writeFileSync(unsigned, module.emitBinary());
      module.dispose();
    } else {
      await compileRunnable(ROOT, `actors/runnables/${name}/index.ts`, `actors/build/runnables/${name}.wasm`, `build-actors: runnable ${name}`);
    }
    const { bytes } = await signModule(new Uint8Array(readFileSync(unsigned)), { issuer: account, subject, caps, name, ver: "0.1.0", rev: 1 });
    writeFileSync(signed, bytes);
  }
  runnables[name] = {
    path: `actors/build/runnables/${name}.wasm`,
    signedPath: `actors/build/runnables/${name}_s.wasm`,
    publicKey: subject.publicKey,
    caps,
    source: isWat ? `actors/runnables/wat/${name}.wat` : `actors/runnables/${name}/index.ts`,
  };
  console.log(
    `${fresh ? "up to date" : "built     "} runnable ${name.padEnd(16)} ${subject.publicKey} ${statSync(signed).size} B  caps=${caps.join(",") || "-"}`,
  );
}
writeFileSync(join(RUNNABLES_OUT, "manifest.json"), `${JSON.stringify(runnables, null, 2)}\n`);
