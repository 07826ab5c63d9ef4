/**
 * What signing buys at run time, with real runnables: a module, a static file or the
 * Directive changed after `wactor bundle sign` is refused when `wactor up` loads the bundle
 * (a catalog code naming the entry, nothing served); a function calling a capability its
 * claims lack is denied at the call and counted, while the bundle's other functions use it.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BundleRunner } from "../src/bundle/run/bundle-runner.js";
import { readZip, writeZip } from "../src/bundle/zip.js";
import type { Denial } from "../src/host/authorizer.js";
import { Host } from "../src/host/host.js";
import { loadedBundle, signedBundle, xDirective, type BundleSpec } from "./helpers/bundles.js";
import { wactor } from "./helpers/cli.js";
import { tamperCode } from "./helpers/tamper.js";

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const SPEC: BundleSpec = {
  directive: xDirective(
    `handlers:
  - { type: request, method: POST, resource: "/set/:key", steps: [ { fn: cache-set } ] }
  - { type: request, method: GET, resource: "/get/:key", steps: [ { fn: cache-get } ] }
  - { type: request, method: GET, resource: "/peek/:key", steps: [ { fn: cache-peek } ] }
`,
    ["cache-set", "cache-get", "cache-peek"],
  ),
  // cache-peek is the cache-get module, signed without the key-value claim.
  modules: { "cache-set": "cache-set", "cache-get": "cache-get", "cache-peek": "cache-get" },
  statics: { "main.md": "## hello" },
  caps: ["wascc:logging"],
  capsByFunction: { "cache-set": ["wascc:keyvalue"], "cache-get": ["wascc:keyvalue"] },
};

describe("a bundle changed after signing is refused at load", () => {
  const dir = mkdtempSync(join(tmpdir(), "wactor-bundle-tamper-"));
  let signed: Uint8Array;
  beforeAll(async () => {
    signed = await signedBundle(SPEC);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const cases: Array<[string, (entries: Map<string, Uint8Array>) => void, string]> = [
    ["a module's code", (e) => e.set("cache-get.wasm", tamperCode(e.get("cache-get.wasm")!)), "cache-get.wasm was changed"],
    ["a static file", (e) => e.set("static/main.md", utf8("## pwned")), "static/main.md was changed"],
    [
      "the Directive",
      (e) => e.set("Directive.yaml", utf8(new TextDecoder().decode(e.get("Directive.yaml")).replace("/peek/", "/look/"))),
      "Directive.yaml was changed",
    ],
  ];
  for (const [what, tamper, detail] of cases) {
    it(`${what}: wactor up exits with WACTOR_ERR_BUNDLE_TAMPERED naming it`, () => {
      const entries = readZip(signed, "signed.wasm.zip");
      tamper(entries);
      const file = join(dir, "tampered.wasm.zip");
      writeFileSync(file, writeZip(entries));
      const r = wactor(["up", file, "--port", "0"]);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain("error[WACTOR_ERR_BUNDLE_TAMPERED]");
      expect(r.stderr).toContain(detail);
      expect(r.stdout).not.toContain("listening");
    });
  }

  it("the untouched bundle loads (the cases above fail for the tampering alone)", () => {
    const file = join(dir, "intact.wasm.zip");
    writeFileSync(file, signed);
    const r = wactor(["bundle", "inspect", file]);
    expect(r.status).toBe(0);
  });
});

describe("a function calling a capability its claims lack", () => {
  const host = new Host({ logger: pino({ level: "silent" }) });
  const denials: Denial[] = [];
  let runner: BundleRunner;
  let base: string;

  beforeAll(async () => {
    host.events.on("invocation_denied", (d) => denials.push(d));
    runner = new BundleRunner(host, await loadedBundle(SPEC), { http: { port: 0 } });
    base = `http://127.0.0.1:${(await runner.start()).address!.port}`;
  }, 60_000);

  afterAll(async () => {
    await runner.stop();
    await host.shutdown();
  });

  it("is denied at each call and counted; functions that claim it share the cache", async () => {
    expect((await fetch(`${base}/set/k`, { method: "POST", body: "v" })).status).toBe(200);
    expect(await (await fetch(`${base}/get/k`)).text()).toBe("v");
    const peekKey = runner.functionKey("com.suborbital.test#default::cache-peek@v0.0.1")!;
    expect(
      host
        .listBindings()
        .filter((b) => b.actorKey === peekKey)
        .map((b) => b.capabilityId),
    ).toEqual(["wascc:logging"]);
    for (let i = 0; i < 3; i++) {
      const peek = await fetch(`${base}/peek/k`);
      // cache-get answers an empty value when its cache call fails: the value never left the host.
      expect([peek.status, await peek.text()]).toEqual([200, ""]);
    }
    expect(denials.filter((d) => d.actorKey === peekKey && d.capabilityId === "wascc:keyvalue").length).toBeGreaterThan(0);
    expect(host.authorizer.deniedCounts()).toContainEqual({ actorKey: peekKey, capabilityId: "wascc:keyvalue", count: 3 });
  });
});
