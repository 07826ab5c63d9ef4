/**
 * The SHAPE of every example runnable (docs/runnable-guest.md): the exports a Reactr host calls,
 * imports drawn only from the host API and the WASI calls real runnables make, each with the
 * contract's signature, and signed claims carrying the declared capabilities. How they behave
 * on a host is the runnable runtime's tests' business.
 */
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import binaryen from "binaryen";
import { describe, expect, it } from "vitest";
import { verifyModule } from "../src/claims/mod.js";
import { ENV } from "./helpers/runnable-guests.js";
import { builtRunnables, signedRunnable, unsignedRunnable } from "./helpers/runnables.js";

/** The WASI preview1 calls seen in Rust, TinyGo and Grain runnables. */
const WASI = ["fd_write", "environ_get", "environ_sizes_get", "args_get", "args_sizes_get", "proc_exit", "clock_time_get", "random_get", "sched_yield"];
const EXPORTS: Record<string, [params: number, returns: boolean]> = { allocate: [1, true], deallocate: [2, false], run_e: [3, false] };

interface FunctionShape {
  params: number[];
  results: number[];
}

interface ModuleShape {
  imports: Array<{ module: string; name: string } & FunctionShape>;
  exports: Record<string, { kind: number } & Partial<FunctionShape>>;
}

function shapeOf(bytes: Uint8Array): ModuleShape {
  const module = binaryen.readBinary(bytes);
  try {
    const imports: ModuleShape["imports"] = [];
    for (let i = 0; i < module.getNumFunctions(); i++) {
      const fn = binaryen.getFunctionInfo(module.getFunctionByIndex(i));
      if (fn.module) imports.push({ module: fn.module, name: fn.base ?? "", params: binaryen.expandType(fn.params), results: binaryen.expandType(fn.results) });
    }
    const exports: ModuleShape["exports"] = {};
    for (let i = 0; i < module.getNumExports(); i++) {
      const info = binaryen.getExportInfo(module.getExportByIndex(i));
      if (info.kind === binaryen.ExternalFunction) {
        const fn = binaryen.getFunctionInfo(module.getFunction(info.value));
        exports[info.name] = { kind: info.kind, params: binaryen.expandType(fn.params), results: binaryen.expandType(fn.results) };
      } else exports[info.name] = { kind: info.kind };
    }
    return { imports, exports };
  } finally {
    module.dispose();
  }
}

const i32s = (n: number) => Array.from({ length: n }, () => binaryen.i32);

const built = builtRunnables();
const names = Object.keys(built);
const RUNNABLES_DIR = fileURLToPath(new URL("../actors/runnables/", import.meta.url));

describe("example runnables: module shape", () => {
  it("builds every runnable under actors/runnables/ (AssemblyScript folders and wat/*.wat)", () => {
    const sources = readdirSync(RUNNABLES_DIR, { withFileTypes: true })
      .filter((e) => e.isDirectory() && e.name !== "wat")
      .map((e) => e.name);
    const wat = readdirSync(`${RUNNABLES_DIR}wat`)
      .filter((f) => f.endsWith(".wat"))
      .map((f) => f.slice(0, -4));
    expect([...names].sort()).toEqual([...sources, ...wat].sort());
    // the Atmo example project's functions, by the names bundles refer to
    for (const atmo of ["helloworld-rs", "modify-url", "fetch-test", "return-err", "set-array", "run-each", "get-file", "cache-set", "cache-get", "log-it"])
      expect(names).toContain(atmo);
  });

  it.each(names)("%s exports memory, allocate, deallocate and run_e with the contract's signatures", (name) => {
    const { exports } = shapeOf(unsignedRunnable(name));
    expect(exports.memory?.kind).toBe(binaryen.ExternalMemory);
    for (const [fn, [params, returns]] of Object.entries(EXPORTS)) {
      expect(exports[fn], `${name} exports ${fn}`).toMatchObject({
        kind: binaryen.ExternalFunction,
        params: i32s(params),
        results: returns ? [binaryen.i32] : [],
      });
    }
  });

  it.each(names)("%s imports only host API and WASI functions, with their signatures", (name) => {
    const { imports } = shapeOf(unsignedRunnable(name));
    const fromAssemblyScript = built[name]!.source.endsWith(".ts");
    for (const imp of imports) {
      const label = `${name} imports ${imp.module}.${imp.name}`;
      if (imp.module === "env") {
        const swift = imp.name.endsWith("_swift");
        const contract = ENV[swift ? imp.name.slice(0, -"_swift".length) : imp.name];
        expect(contract, label).toBeDefined();
        expect(imp.params, label).toEqual(i32s(contract![0] + (swift ? 2 : 0)));
        expect(imp.results, label).toEqual(contract![1] ? [binaryen.i32] : []);
      } else {
        expect(imp.module, label).toBe("wasi_snapshot_preview1");
        expect(WASI, label).toContain(imp.name);
        expect(fromAssemblyScript, `${label}: AssemblyScript runnables use no WASI`).toBe(false);
      }
    }
    // AssemblyScript's own abort is routed to return_abort by the build (--use abort=…)
    if (fromAssemblyScript) expect(imports.map((i) => i.name)).not.toContain("abort");
    // a Swift-shaped module uses only the _swift names
    if (name.endsWith("-swift")) expect(imports.filter((i) => i.module === "env").every((i) => i.name.endsWith("_swift"))).toBe(true);
  });

  it.each(names)("%s is signed with its declared capabilities; the bundle copy is unsigned", async (name) => {
    const verdict = await verifyModule(signedRunnable(name));
    expect(verdict.valid, verdict.valid ? "" : verdict.error.message).toBe(true);
    if (!verdict.valid) return;
    expect(verdict.claims.caps).toEqual(built[name]!.caps);
    expect(verdict.claims.subject).toBe(built[name]!.publicKey);
    expect(verdict.claims.name).toBe(name);
    const unsigned = await verifyModule(unsignedRunnable(name));
    expect(unsigned.valid).toBe(false);
    if (!unsigned.valid) expect(unsigned.error.code).toBe("WACTOR_ERR_NO_CLAIMS");
  });

  it("claims match what each runnable calls: a capability for every service it imports, none unused", () => {
    const needs: Record<string, string> = {
      cache_get: "wascc:keyvalue",
      cache_set: "wascc:keyvalue",
      fetch_url: "wascc:http_client",
      graphql_query: "wascc:http_client",
      log_msg: "wascc:logging",
      request_get_field: "wascc:http_server",
      request_set_field: "wascc:http_server",
      resp_set_header: "wascc:http_server",
    };
    for (const name of names) {
      const caps = built[name]!.caps;
      const used = new Set(
        shapeOf(unsignedRunnable(name))
          .imports.map((i) => needs[i.name])
          .filter((cap): cap is string => cap !== undefined),
      );
      for (const cap of used) expect(caps, `${name} calls what ${cap} covers`).toContain(cap);
      // wascc:http_server may be claimed by a runnable served over HTTP that reads only its input
      for (const cap of caps.filter((c) => c !== "wascc:http_server")) expect([...used], `${name} claims ${cap}`).toContain(cap);
    }
  });
});
