// Builds, signs and (with --up) serves an example bundle, as a user would by hand:
//   node scripts/example-bundle.mjs examples/greeter [--up [wactor up flags…]]
// 1. compiles each runnables/<fn>/index.ts (AssemblyScript, actors/runnable-sdk) to
//    runnables/<fn>/<fn>.wasm;
// 2. `wactor bundle build <dir> -o <dir>/build/runnables.wasm.zip` (Directive, modules, static/);
// 3. `wactor bundle sign … -o <dir>/build/<bundle>` with the capabilities in example.json (the
//    account key is created next to the output on first use and reused);
// 4. with --up: `wactor up <dir>/build/<bundle>` plus the flags after --up, until Ctrl-C.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { compileRunnable } from "./lib/compile-runnable.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const BIN = join(ROOT, "bin", "wactor.js");
// AssemblyScript's abort would import env.abort; a runnable host has return_abort instead.

const [target, ...rest] = process.argv.slice(2);
if (!target) {
  console.error("usage: node scripts/example-bundle.mjs <example dir> [--up [wactor up flags…]]");
  process.exit(2);
}
if (!existsSync(join(ROOT, "dist", "src", "cli", "main.js"))) {
  console.error("example-bundle: wactor is not compiled yet: run `npm run build` first");
  process.exit(1);
}
const dir = resolve(target);
const config = JSON.parse(readFileSync(join(dir, "example.json"), "utf8"));

function wactor(args) {
  console.log(`$ wactor ${args.map((a) => relative(process.cwd(), a) || a).join(" ")}`);
  const result = spawnSync(process.execPath, [BIN, ...args], { stdio: "inherit" });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

for (const fn of readdirSync(join(dir, "runnables"))) {
  const source = join(dir, "runnables", fn, "index.ts");
  if (!existsSync(source)) continue;
  await compileRunnable(ROOT, relative(ROOT, source), relative(ROOT, join(dir, "runnables", fn, `${fn}.wasm`)), `example-bundle: ${fn}`);
  console.log(`compiled  ${relative(process.cwd(), source)}`);
}

mkdirSync(join(dir, "build"), { recursive: true });
const unsigned = join(dir, "build", "runnables.wasm.zip");
const signed = join(dir, "build", config.bundle);
wactor(["bundle", "build", dir, "-o", unsigned]);
wactor(["bundle", "sign", unsigned, "-o", signed, ...config.sign]);

const up = rest.indexOf("--up");
if (up >= 0) {
  const child = spawn(process.execPath, [BIN, "up", signed, ...rest.slice(up + 1)], { stdio: "inherit" });
  // Ctrl-C reaches the whole process group; a SIGTERM to this script is passed on.
  process.on("SIGTERM", () => child.kill("SIGTERM"));
  process.on("SIGINT", () => {});
  child.on("exit", (code) => process.exit(code ?? 1));
}
