/** `wactor bundle build | sign | inspect` through the real binary (needs `npm run build`). */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeyPair } from "../src/claims/nkeys.js";
import { readZip, writeZip } from "../src/bundle/zip.js";
import { wactor } from "./helpers/cli.js";
import { customSection, WASM_HEADER } from "./helpers/wasm-fixtures.js";

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const wasm = (name: string): Uint8Array => Uint8Array.from([...WASM_HEADER, ...customSection("name-tag", utf8(name))]);

let dir: string;
const account = KeyPair.create("account");

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "wactor-bundle-"));
  const project = join(dir, "project");
  mkdirSync(join(project, "runnables", "db"), { recursive: true });
  mkdirSync(join(project, "static", "css"), { recursive: true });
  // A hand-written project Directive without runnables: the build adds one per module.
  writeFileSync(
    join(project, "Directive.yaml"),
    `identifier: com.example.app
appVersion: v0.1.0
atmoVersion: v0.4.0
handlers:
  - type: request
    resource: /hello
    method: POST
    steps:
      - fn: hello
      - { fn: getUser, with: { h: hello } }
schedules:
  - { name: tick, every: { minutes: 1 }, steps: [ { fn: hello } ] }
`,
  );
  writeFileSync(join(project, "hello.wasm"), wasm("hello"));
  writeFileSync(join(project, "runnables", "db", "getUser.wasm"), wasm("getUser"));
  writeFileSync(join(project, "static", "main.md"), "## hello");
  writeFileSync(join(project, "static", "css", "main.css"), "body{}");
  writeFileSync(join(dir, "issuer.nk"), `${account.seed}\n`);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("wactor bundle", () => {
  it("build, sign (printing each module's claims), inspect (seal valid)", () => {
    const built = wactor(["bundle", "build", join(dir, "project"), "-o", join(dir, "app.wasm.zip")]);
    expect(built.stderr).toBe("");
    expect(built.stdout).toContain("2 functions, 2 static files");
    const entries = readZip(readFileSync(join(dir, "app.wasm.zip")), "app");
    expect([...entries.keys()]).toEqual(["Directive.yaml", "getUser.wasm", "hello.wasm", "static/css/main.css", "static/main.md"]);
    expect(new TextDecoder().decode(entries.get("Directive.yaml"))).toContain("name: getUser");

    const signed = wactor([
      "bundle",
      "sign",
      join(dir, "app.wasm.zip"),
      "-o",
      join(dir, "signed.wasm.zip"),
      "--issuer",
      join(dir, "issuer.nk"),
      "--cap",
      "wasmcloud:httpclient",
      "--cap",
      "getUser=wasmcloud:keyvalue,wasmcloud:logging",
    ]);
    expect(signed.status).toBe(0);
    expect(signed.stdout).toContain(`Issuer: ${account.publicKey}`);
    expect(signed.stdout).toMatch(/hello\.wasm {2}default::hello {2}module M[A-Z2-7]{55} {2}caps: wasmcloud:httpclient\n/);
    expect(signed.stdout).toMatch(/getUser\.wasm {2}default::getUser .* caps: wasmcloud:httpclient, wasmcloud:keyvalue, wasmcloud:logging/);

    const inspected = wactor(["bundle", "inspect", join(dir, "signed.wasm.zip")]);
    expect(inspected.status).toBe(0);
    expect(inspected.stdout).toContain("com.example.app v0.1.0");
    expect(inspected.stdout).toContain("POST /hello  hello → getUser");
    expect(inspected.stdout).toContain("tick every 60s  hello");
    expect(inspected.stdout).toContain(`Seal: valid, sealed by ${account.publicKey}`);

    const json = JSON.parse(wactor(["bundle", "inspect", join(dir, "signed.wasm.zip"), "--json"]).stdout) as {
      functions: Array<{ claims: { caps: string[] } }>;
      seal: { valid: boolean };
    };
    expect(json.seal.valid).toBe(true);
    expect(json.functions[1]!.claims.caps).toContain("wasmcloud:keyvalue");
  });

  it("inspect of an unsigned or tampered bundle says so and exits 1", () => {
    const unsigned = wactor(["bundle", "inspect", join(dir, "app.wasm.zip")]);
    expect(unsigned.status).toBe(1);
    expect(unsigned.stdout).toMatch(/Seal: NOT VALID: error\[WACTOR_ERR_BUNDLE_UNSIGNED\].*wactor bundle sign/);
    expect(unsigned.stdout).toContain("unsigned or invalid: WACTOR_ERR_NO_CLAIMS");
    const entries = readZip(readFileSync(join(dir, "signed.wasm.zip")), "signed");
    entries.set("static/main.md", utf8("changed"));
    writeFileSync(join(dir, "tampered.wasm.zip"), writeZip(entries));
    const tampered = wactor(["bundle", "inspect", join(dir, "tampered.wasm.zip")]);
    expect(tampered.status).toBe(1);
    expect(tampered.stdout).toMatch(/WACTOR_ERR_BUNDLE_TAMPERED.*static\/main\.md was changed/);
  });

  it("an invalid Directive fails the build with every problem located; a bad --cap is a usage error", () => {
    const bad = join(dir, "bad");
    mkdirSync(bad);
    writeFileSync(
      join(bad, "Directive.yaml"),
      "identifier: a.b\nappVersion: 1.0\natmoVersion: v1\nhandlers:\n  - { type: request, resource: /x, method: GET, steps: [ { fn: nope } ] }\n",
    );
    writeFileSync(join(bad, "a.wasm"), wasm("a"));
    const r = wactor(["bundle", "build", bad]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("error[WACTOR_ERR_DIRECTIVE]");
    expect(r.stderr).toMatch(/Directive\.yaml:1: app version is not a valid semantic version/);
    expect(r.stderr).toMatch(/Directive\.yaml:5: handler for GET \/x lists fn at step 0 that does not exist: nope/);
    const cap = wactor(["bundle", "sign", join(dir, "app.wasm.zip"), "-o", join(dir, "x.wasm.zip"), "--issuer", account.seed, "--cap", "nope=wasmcloud:x"]);
    expect(cap.stderr).toContain("error[WACTOR_ERR_BAD_ARGUMENT]");
  });
});
