import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { rmSync } from "node:fs";
import { KeyPair } from "../src/claims/nkeys.js";
import { wactor } from "./helpers/cli.js";
import { answerConstantOffset, answerModule } from "./helpers/wasm-fixtures.js";

const dir = mkdtempSync(join(tmpdir(), "wactor-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string) => join(dir, name);
writeFileSync(file("answer.wasm"), answerModule());

describe("wactor CLI: keys and claims", () => {
  it("prints help", () => {
    const result = wactor(["--help"]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("claims");
    expect(result.stdout).toContain("keys");
  });

  it.each(["account", "module", "server", "cluster", "operator", "service", "user"])("keys gen %s --json", (type) => {
    const result = wactor(["keys", "gen", type, "--json"]);
    expect(result.status).toBe(0);
    const out = JSON.parse(result.stdout) as { publicKey: string; seed: string; type: string };
    expect(out.type).toBe(type);
    expect(KeyPair.fromSeed(out.seed).publicKey).toBe(out.publicKey);
  });

  it("rejects an unknown key type with a code and no stack trace", () => {
    const result = wactor(["keys", "gen", "wizard"]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("WACTOR_ERR_BAD_ARGUMENT");
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it("signs with generated keys (written next to the output with a warning), then inspects", () => {
    const signed = wactor([
      "claims",
      "sign",
      file("answer.wasm"),
      "-o",
      file("gen_s.wasm"),
      "--cap",
      "wascc:http_server",
      "--cap",
      "wascc:keyvalue",
      "--name",
      "Answer",
      "--ver",
      "0.2.0",
      "--rev",
      "3",
      "--tag",
      "demo",
    ]);
    expect(signed.status).toBe(0);
    expect(signed.stderr).toContain("warning");
    expect(existsSync(file("gen_s_account.nk"))).toBe(true);
    expect(existsSync(file("gen_s_module.nk"))).toBe(true);
    const account = KeyPair.fromSeed(readFileSync(file("gen_s_account.nk"), "utf8"));

    const inspected = wactor(["claims", "inspect", file("gen_s.wasm"), "--json"]);
    expect(inspected.status).toBe(0);
    const out = JSON.parse(inspected.stdout);
    expect(out.valid).toBe(true);
    expect(out.error).toBeNull();
    expect(out.claims).toMatchObject({
      issuer: account.publicKey,
      name: "Answer",
      caps: ["wascc:http_server", "wascc:keyvalue"],
      ver: "0.2.0",
      rev: 3,
      tags: ["demo"],
    });

    const text = wactor(["claims", "inspect", file("gen_s.wasm")]);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/Verdict\s+valid/);
    expect(text.stdout).toContain("wascc:keyvalue");

    // Signing again reuses the key files, so the actor keeps its identity.
    const again = wactor(["claims", "sign", file("answer.wasm"), "-o", file("gen_s.wasm")]);
    expect(again.status).toBe(0);
    expect(JSON.parse(wactor(["claims", "inspect", file("gen_s.wasm"), "--json"]).stdout).claims.subject).toBe(out.claims.subject);
  });

  it("checks every argument before it writes a generated key", () => {
    const badDuration = wactor(["claims", "sign", file("answer.wasm"), "-o", file("never_s.wasm"), "--expires-in", "5q"]);
    expect(badDuration.status).not.toBe(0);
    const badSubject = wactor(["claims", "sign", file("answer.wasm"), "-o", file("never_s.wasm"), "--subject", "SMNOTAKEY"]);
    expect(badSubject.status).not.toBe(0);
    expect(existsSync(file("never_s_account.nk")) || existsSync(file("never_s_module.nk")) || existsSync(file("never_s.wasm"))).toBe(false);
  });

  it("signs with given seeds (inline and from a file) and honours --trusted-issuer", () => {
    const account = KeyPair.create("account");
    const mod = KeyPair.create("module");
    writeFileSync(file("issuer.nk"), account.seed);
    const signed = wactor([
      "claims",
      "sign",
      file("answer.wasm"),
      "-o",
      file("given_s.wasm"),
      "--issuer",
      file("issuer.nk"),
      "--subject",
      mod.seed,
      "--expires-in",
      "1d",
    ]);
    expect(signed.status).toBe(0);
    expect(signed.stderr).not.toContain("warning");
    const trusted = wactor(["claims", "inspect", file("given_s.wasm"), "--json", "--trusted-issuer", account.publicKey]);
    expect(JSON.parse(trusted.stdout).claims.subject).toBe(mod.publicKey);
    expect(trusted.status).toBe(0);
    const untrusted = wactor(["claims", "inspect", file("given_s.wasm"), "--json", "--trusted-issuer", KeyPair.create("account").publicKey]);
    expect(untrusted.status).toBe(1);
    expect(JSON.parse(untrusted.stdout).error.code).toBe("WACTOR_ERR_UNTRUSTED_ISSUER");
  });

  it("reports a tampered module with exit 1 and the hash-mismatch code", () => {
    const bytes = new Uint8Array(readFileSync(file("gen_s.wasm")));
    bytes[answerConstantOffset(bytes)] = 7;
    writeFileSync(file("tampered.wasm"), bytes);
    const result = wactor(["claims", "inspect", file("tampered.wasm")]);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("WACTOR_ERR_HASH_MISMATCH");
  });

  it("reports garbage, a missing file and a key of the wrong type clearly", () => {
    writeFileSync(file("garbage.wasm"), "hello");
    const garbage = wactor(["claims", "inspect", file("garbage.wasm"), "--json"]);
    expect(garbage.status).toBe(1);
    expect(JSON.parse(garbage.stdout)).toMatchObject({ valid: false, claims: null, error: { code: "WACTOR_ERR_NOT_WASM" } });
    const missing = wactor(["claims", "inspect", file("nope.wasm")]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain("WACTOR_ERR_FILE_READ");
    const wrongKey = wactor(["claims", "sign", file("answer.wasm"), "-o", file("x.wasm"), "--issuer", KeyPair.create("module").seed]);
    expect(wrongKey.status).toBe(1);
    expect(wrongKey.stderr).toContain("WACTOR_ERR_KEY_TYPE");
    expect(wrongKey.stderr).not.toMatch(/\n\s+at /);
  });
});
