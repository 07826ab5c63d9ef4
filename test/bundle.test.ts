/**
 * Bundles (`.wasm.zip`): Atmo's layout and binding (B1–B4, with every runnable lacking a
 * module reported, not only the first), and wactor's seal: signed modules plus a descriptor
 * over every entry, so anything changed, added or removed after signing is refused.
 */
import { describe, expect, it } from "vitest";
import { KeyPair } from "../src/claims/nkeys.js";
import { readBundle } from "../src/bundle/read.js";
import { loadBundle } from "../src/bundle/load.js";
import { signBundle } from "../src/bundle/sign.js";
import { StaticFiles } from "../src/bundle/static-files.js";
import { readZip, writeZip } from "../src/bundle/zip.js";
import { isWactorError } from "../src/errors.js";
import { customSection, WASM_HEADER } from "./helpers/wasm-fixtures.js";

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
/** A small distinct module per name (a custom section carries the name). */
const wasm = (name: string): Uint8Array => Uint8Array.from([...WASM_HEADER, ...customSection("name-tag", utf8(name))]);

const DIRECTIVE = `identifier: com.suborbital.test
appVersion: v0.0.1
atmoVersion: v0.4.0
runnables:
  - { name: hello, namespace: default }
  - { name: getUser, namespace: db }
handlers:
  - type: request
    resource: /hello
    method: POST
    steps: [ { fn: hello }, { fn: "db::getUser" } ]
`;

function zip(entries: Record<string, Uint8Array | string>): Uint8Array {
  return writeZip(Object.entries(entries).map(([k, v]) => [k, typeof v === "string" ? utf8(v) : v]));
}

const atmoStyle = (extra: Record<string, Uint8Array | string> = {}): Uint8Array =>
  zip({
    "Directive.yaml": DIRECTIVE,
    "hello.wasm": wasm("hello"),
    "db::getUser.wasm": wasm("getUser"),
    "static/main.md": "## hello",
    "static/css/main.css": "body{}",
    ...extra,
  });

function errorOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (err) {
    if (isWactorError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error("expected a failure");
}

async function asyncErrorOf(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (err) {
    if (isWactorError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error("expected a failure");
}

describe("bundle layout and binding (B1–B4)", () => {
  it("binds <ref>.wasm modules to runnables and indexes static files", () => {
    const b = readBundle(atmoStyle({ "README.md": "ignored" }), "app.wasm.zip");
    expect(b.modules.map((m) => [m.entry, m.runnable.fqfn])).toEqual([
      ["hello.wasm", "com.suborbital.test#default::hello@v0.0.1"],
      ["db::getUser.wasm", "com.suborbital.test#db::getUser@v0.0.1"],
    ]);
    expect(b.statics.names()).toEqual(["css/main.css", "main.md"]);
  });

  it("a bare <name>.wasm also binds a function outside 'default' when the name is unique (wactor addition)", () => {
    const b = readBundle(zip({ "Directive.yaml": DIRECTIVE, "hello.wasm": wasm("h"), "getUser.wasm": wasm("g") }), "x.wasm.zip");
    expect(b.modules[1]!.entry).toBe("getUser.wasm");
  });

  it("B1: no Directive.yaml (Directive.yml is not recognised)", () => {
    expect(errorOf(() => readBundle(zip({ "Directive.yml": DIRECTIVE, "hello.wasm": wasm("h") }), "b.wasm.zip"))).toMatchObject({
      code: "WACTOR_ERR_BUNDLE",
      message: expect.stringContaining("missing Directive.yaml"),
    });
  });

  it("B2: a module no runnable claims, or one inside a folder, fails the bundle", () => {
    for (const extra of ["orphan.wasm", "mods/hello.wasm"]) {
      expect(errorOf(() => readBundle(atmoStyle({ [extra]: wasm("o") }), "b.wasm.zip")).message).toContain(`unable to find Runnable for module ${extra}`);
    }
  });

  it("B3 (intent): every runnable without a module is reported, not only the first", () => {
    const e = errorOf(() => readBundle(zip({ "Directive.yaml": DIRECTIVE }), "b.wasm.zip"));
    expect(e.code).toBe("WACTOR_ERR_BUNDLE");
    expect(e.message).toContain("missing ModuleRef for Runnable default::hello");
    expect(e.message).toContain("missing ModuleRef for Runnable db::getUser");
  });

  it("B4: static names are normalised once each; ../x and unknown names do not exist", () => {
    const statics = new StaticFiles([
      ["static/main.md", utf8("## hello")],
      ["static/css/main.css", utf8("c")],
      ["secret", utf8("s")],
    ]);
    for (const name of ["main.md", "/main.md", "static/main.md", "./main.md"]) expect(new TextDecoder().decode(statics.get(name))).toBe("## hello");
    expect(statics.get("css/main.css")).toBeDefined();
    for (const name of ["../secret", "secret", "static/../secret", "nope.md"]) expect(statics.get(name)).toBeUndefined();
  });

  it("refuses an archive that is not a ZIP, and entry names that climb out", () => {
    expect(errorOf(() => readBundle(utf8("not a zip"), "b.wasm.zip")).code).toBe("WACTOR_ERR_BUNDLE");
    expect(errorOf(() => readZip(zip({ "static/../../x": "x" }), "b.wasm.zip")).message).toContain("contains '..'");
  });
});

describe("signed bundles", () => {
  const issuer = KeyPair.create("account");

  it("round-trip: sign gives every module claims from the one account; load verifies seal and claims", async () => {
    const signed = await signBundle(atmoStyle(), "app.wasm.zip", {
      issuer,
      caps: ["wasmcloud:httpclient"],
      capsByFunction: { "db::getUser": ["wasmcloud:keyvalue"] },
    });
    expect(signed.modules.map((m) => [m.entry, m.claims.caps])).toEqual([
      ["hello.wasm", ["wasmcloud:httpclient"]],
      ["db::getUser.wasm", ["wasmcloud:httpclient", "wasmcloud:keyvalue"]],
    ]);
    const loaded = await loadBundle(signed.bytes, "app.wasm.zip", { trustedIssuers: [issuer.publicKey] });
    expect(loaded.seal.issuer).toBe(issuer.publicKey);
    expect(loaded.claims.get("com.suborbital.test#db::getUser@v0.0.1")).toMatchObject({ issuer: issuer.publicKey, name: "db::getUser", ver: "v0.0.1" });
    expect(Object.keys(loaded.seal.entries).sort()).toEqual(["Directive.yaml", "db::getUser.wasm", "hello.wasm", "static/css/main.css", "static/main.md"]);
    // Re-signing keeps each module's identity.
    const again = await signBundle(signed.bytes, "app.wasm.zip", { issuer });
    expect(again.modules.map((m) => m.claims.subject)).toEqual(signed.modules.map((m) => m.claims.subject));
  });

  it("an unsigned Atmo-style bundle is refused, naming 'wactor bundle sign'", async () => {
    const e = await asyncErrorOf(loadBundle(atmoStyle(), "atmo.wasm.zip"));
    expect(e.code).toBe("WACTOR_ERR_BUNDLE_UNSIGNED");
    expect(e.message).toContain("wactor bundle sign");
  });

  describe("anything changed, added or removed after signing is refused, naming the entry", () => {
    const cases: Array<[string, (entries: Map<string, Uint8Array>) => void, string]> = [
      ["a module", (e) => e.set("hello.wasm", wasm("evil")), "hello.wasm was changed"],
      ["a static file", (e) => e.set("static/main.md", utf8("## pwned")), "static/main.md was changed"],
      ["the Directive", (e) => e.set("Directive.yaml", utf8(DIRECTIVE.replace("/hello", "/bye"))), "Directive.yaml was changed"],
      ["an added entry", (e) => e.set("static/new.js", utf8("x")), "static/new.js was added"],
      ["a removed entry", (e) => e.delete("static/css/main.css"), "static/css/main.css was removed"],
    ];
    for (const [what, tamper, detail] of cases) {
      it(what, async () => {
        const signed = await signBundle(atmoStyle(), "app.wasm.zip", { issuer });
        const entries = readZip(signed.bytes, "app.wasm.zip");
        tamper(entries);
        const e = await asyncErrorOf(loadBundle(writeZip(entries), "app.wasm.zip"));
        expect(e.code).toBe("WACTOR_ERR_BUNDLE_TAMPERED");
        expect(e.message).toContain(detail);
      });
    }

    it("a descriptor re-signed by another account is refused by a host trusting the first", async () => {
      const signed = await signBundle(atmoStyle(), "app.wasm.zip", { issuer });
      const resealed = await signBundle(signed.bytes, "app.wasm.zip", { issuer: KeyPair.create("account") });
      expect((await asyncErrorOf(loadBundle(resealed.bytes, "app.wasm.zip", { trustedIssuers: [issuer.publicKey] }))).code).toBe("WACTOR_ERR_UNTRUSTED_ISSUER");
    });

    it("a forged descriptor signature is refused", async () => {
      const signed = await signBundle(atmoStyle(), "app.wasm.zip", { issuer });
      const entries = readZip(signed.bytes, "app.wasm.zip");
      const [h, p, s] = new TextDecoder().decode(entries.get("wactor-bundle.jwt")).split(".");
      entries.set("wactor-bundle.jwt", utf8(`${h}.${p}.${s!.startsWith("A") ? "B" : "A"}${s!.slice(1)}`));
      expect((await asyncErrorOf(loadBundle(writeZip(entries), "app.wasm.zip"))).message).toContain("does not verify");
    });
  });
});
