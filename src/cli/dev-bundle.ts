/**
 * `wactor dev <bundle-dir>`: the one-step loop for a bundle project (a folder holding a
 * Directive.yaml, runnables/<fn>/index.ts in AssemblyScript against actors/runnable-sdk, and
 * static/). On every edit it compiles each function, builds the bundle as `wactor bundle
 * build` would, signs and seals it with dev keys, verifies it as any host does, and swaps it in
 * on the same port. A build or load error is printed and the previous version keeps serving.
 * Modules a folder holds without sources (Rust, TinyGo, …) are bundled as they are.
 */
import { existsSync, readFileSync, readdirSync, watch } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { loadBundle, type LoadedBundle } from "../bundle/load.js";
import { BundleRunner } from "../bundle/run/bundle-runner.js";
import { signBundle } from "../bundle/sign.js";
import { writeBundleEntries } from "../bundle/write.js";
import { isWactorError } from "../errors.js";
import { Host } from "../host/host.js";
import { parsePort } from "./arguments.js";
import { projectEntries } from "./bundle.js";
import { devKey } from "./dev-keys.js";
import { cliLogger } from "./logger.js";
import { waitForSignal } from "./signals.js";

export interface DevBundleFlags {
  port: string;
  cap: string[];
  allowHost?: string[];
  logLevel: string;
}

/** Without --cap: what the runnable API reaches besides HTTP (wascc:http_client only with --allow-host). */
const DEV_BUNDLE_CAPS = ["wascc:keyvalue", "wascc:logging"];
/** The runnable SDK shipped with wactor, for sources that import none by relative path. */
const SHIPPED_SDK = resolve(dirname(fileURLToPath(import.meta.url)), "../../../actors/runnable-sdk");

/** The runnable SDK a source imports (a relative import ending in runnable-sdk), else the shipped one. */
function sdkOf(source: string, text: string): string {
  const imported = /from\s+["'](\.[^"']*runnable-sdk)\/?["']/.exec(text)?.[1];
  return imported === undefined ? SHIPPED_SDK : resolve(dirname(source), imported);
}

/** Source text each module was last compiled from: an edit recompiles only the functions it touched. */
const compiledFrom = new Map<string, string>();

/** Compiles runnables/<fn>/index.ts to runnables/<fn>/<fn>.wasm; the first error stops the build. */
async function compileFunctions(dir: string): Promise<string | undefined> {
  const asc = (await import("assemblyscript/asc")).default;
  const root = join(dir, "runnables");
  const functions = existsSync(root)
    ? readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory() && existsSync(join(root, e.name, "index.ts")))
    : [];
  for (const fn of functions) {
    const source = join(root, fn.name, "index.ts");
    const output = join(root, fn.name, `${fn.name}.wasm`);
    const text = readFileSync(source, "utf8");
    if (compiledFrom.get(output) === text && existsSync(output)) continue;
    // AssemblyScript's abort would import env.abort; a runnable reports through return_abort.
    const abort = `abort=${relative(dir, join(sdkOf(source, text), "runnable"))
      .split(sep)
      .join("/")}/runnableAbort`;
    let wasm: Uint8Array | undefined;
    // -O1 as for actors in `wactor dev`: a rebuild in a fraction of the -O3 time.
    const { error, stderr } = await asc.main([relative(dir, source), "--baseDir", dir, "-o", "out.wasm", "--runtime", "incremental", "-O1", "--use", abort], {
      writeFile: (name: string, contents: Uint8Array | string) => {
        if (name.endsWith(".wasm") && typeof contents !== "string") wasm = contents;
      },
    });
    if (error || !wasm) return `${fn.name}: ${stderr.toString() || String(error)}`;
    await writeFile(output, wasm);
    compiledFrom.set(output, text);
  }
  return undefined;
}

/** Parses --cap values as `wactor bundle sign` does: `id` for all, `fn=id,id` for one. */
function capsFrom(values: string[], allowHosts: string[]): { caps: string[]; capsByFunction: Record<string, string[]> } {
  const caps: string[] = [];
  const capsByFunction: Record<string, string[]> = {};
  for (const value of values.length > 0 ? values : DEV_BUNDLE_CAPS) {
    const [fn, ids] = value.includes("=") ? [value.slice(0, value.indexOf("=")), value.slice(value.indexOf("=") + 1)] : [undefined, value];
    const list = ids
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    if (fn === undefined) caps.push(...list);
    else capsByFunction[fn] = [...(capsByFunction[fn] ?? []), ...list];
  }
  if (values.length === 0 && allowHosts.length > 0) caps.push("wascc:http_client");
  return { caps, capsByFunction };
}

export async function devBundle(dirArg: string, flags: DevBundleFlags): Promise<void> {
  const dir = resolve(dirArg);
  const keysDir = join(dir, ".wactor");
  await mkdir(keysDir, { recursive: true });
  const issuer = devKey(keysDir, "account");
  const allowedHosts = flags.allowHost ?? [];
  const { caps, capsByFunction } = capsFrom(flags.cap, allowedHosts);
  const logger = cliLogger(flags.logLevel);
  const host = new Host({ logger });
  const port = parsePort(flags.port, "--port");
  let current: { runner: BundleRunner; bundle: LoadedBundle } | undefined;

  const start = async (bundle: LoadedBundle): Promise<BundleRunner> => {
    const runner = new BundleRunner(host, bundle, { http: { port, host: "127.0.0.1" }, allowedHosts });
    await runner.start();
    return runner;
  };

  const rebuild = async (): Promise<void> => {
    const started = performance.now();
    let bundle: LoadedBundle;
    const keeps = current ? "the previous version keeps serving" : "nothing serves until a build succeeds";
    try {
      const failed = await compileFunctions(dir);
      if (failed !== undefined) {
        process.stderr.write(`\nbuild failed (${keeps}):\n${failed}\n`);
        return;
      }
      const unsigned = writeBundleEntries(await projectEntries(dir));
      const signed = await signBundle(unsigned, `${dir}/`, { issuer, caps, capsByFunction });
      bundle = await loadBundle(signed.bytes, dir);
    } catch (err) {
      process.stderr.write(`\nbuild failed (${keeps}):\n${isWactorError(err) ? `${err.code}: ` : ""}${(err as Error).message}\n`);
      return;
    }
    // One port: the previous version stops (draining its requests) before the new one listens.
    const previous = current;
    if (previous) await previous.runner.stop();
    try {
      current = { runner: await start(bundle), bundle };
    } catch (err) {
      process.stderr.write(`wactor dev: ${isWactorError(err) ? `${err.code}: ` : ""}${(err as Error).message} (the previous version serves again)\n`);
      current = previous && { runner: await start(previous.bundle), bundle: previous.bundle };
      return;
    }
    const ms = Math.round(performance.now() - started);
    const d = bundle.directive;
    if (previous) process.stdout.write(`wactor dev: updated ${d.identifier} in ${ms} ms\n`);
    else
      process.stdout.write(
        `wactor dev: bundle ${d.identifier} ${d.appVersion} (${bundle.modules.length} functions) serving on http://127.0.0.1:${port}/ (${ms} ms)\n`,
      );
  };

  await rebuild();
  let timer: NodeJS.Timeout | undefined;
  let chain = Promise.resolve();
  const onChange = (_event: string, name: string | null): void => {
    // Its own outputs (compiled modules, dev keys) must not trigger another build.
    if (!name || name.endsWith(".wasm") || name.startsWith(".wactor") || name.split(sep).includes("build")) return;
    clearTimeout(timer);
    timer = setTimeout(() => (chain = chain.then(rebuild)), 100);
  };
  const watcher = watch(dir, { recursive: true }, onChange);
  await waitForSignal();
  watcher.close();
  await current?.runner.stop();
  await host.shutdown();
}
