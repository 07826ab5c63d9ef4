#!/usr/bin/env node
// Compiles the example actors (AssemblyScript) and signs them with dev keys.
// Output: actors/build/<name>.wasm (unsigned), <name>_s.wasm (signed), keys/, manifest.json.
// Dev keys are generated on first build and reused, so actor identities stay stable;
// they live under actors/build/ and are never committed.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import asc from "assemblyscript/asc";

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
};

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
  const source = join(ACTORS, name, "index.ts");
  const unsigned = join(OUT, `${name}.wasm`);
  const signed = join(OUT, `${name}_s.wasm`);
  const subject = keyPair(join(KEYS, `${name}_module.nk`), "module");
  const fresh = existsSync(signed) && statSync(signed).mtimeMs > Math.max(sdkTime, newestMtime(join(ACTORS, name)));
  if (!fresh) {
    const { error, stderr } = await asc.main([source, "-o", unsigned, "--runtime", "incremental", "-O3"], {});
    if (error) {
      console.error(`build-actors: ${name} failed to compile:\n${stderr.toString()}`);
      process.exit(1);
    }
    const { bytes } = await signModule(new Uint8Array(readFileSync(unsigned)), { issuer: account, subject, caps, name, ver: "0.1.0", rev: 1 });
    writeFileSync(signed, bytes);
  }
  manifest[name] = { path: `actors/build/${name}.wasm`, signedPath: `actors/build/${name}_s.wasm`, publicKey: subject.publicKey, caps };
  console.log(`${fresh ? "up to date" : "built     "} ${name.padEnd(10)} ${subject.publicKey} ${statSync(signed).size} B  caps=${caps.join(",") || "-"}`);
}
writeFileSync(join(OUT, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
