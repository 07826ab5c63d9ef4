/** OCI references, registry challenges, the artifact layout and the digest cache, without a registry. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { KeyPair } from "../src/claims/nkeys.js";
import { signModule } from "../src/claims/sign.js";
import { buildArtifact, wasmLayerOf } from "../src/oci/artifact.js";
import { credentialsFrom, parseChallenge } from "../src/oci/auth.js";
import { DigestCache, defaultCacheDir } from "../src/oci/cache.js";
import { sha256Digest } from "../src/oci/client.js";
import { formatReference, isLoopbackRegistry, isOciReference, parseReference, tryParseReference } from "../src/oci/reference.js";
import { codeOf } from "./helpers/code-of.js";
import { answerModule } from "./helpers/wasm-fixtures.js";

const DIGEST = `sha256:${"ab".repeat(32)}`;

describe("OCI references", () => {
  it.each([
    ["registry.example.com/keyvalue:v1", { registry: "registry.example.com", repository: "keyvalue", tag: "v1" }],
    ["localhost:5000/team/echo:0.1.0", { registry: "localhost:5000", repository: "team/echo", tag: "0.1.0" }],
    ["ghcr.io/org/actors/echo_s:v1.2-rc.1", { registry: "ghcr.io", repository: "org/actors/echo_s", tag: "v1.2-rc.1" }],
    [`127.0.0.1:5000/echo@${DIGEST}`, { registry: "127.0.0.1:5000", repository: "echo", digest: DIGEST }],
    [`myreg.azurecr.io/echo:v1@${DIGEST}`, { registry: "myreg.azurecr.io", repository: "echo", tag: "v1", digest: DIGEST }],
  ])("%s parses", (text, expected) => {
    expect(tryParseReference(text)).toEqual(expected);
    expect(formatReference(parseReference(text))).toBe(text);
  });

  it.each([
    "./actors/build/echo_s.wasm",
    "actors/build/echo_s.wasm",
    "registry.example.com/echo.wasm",
    "echo:v1", // no registry: never Docker Hub by default
    "library/echo:v1",
    "MBTHHJPQYL65ZSULCWJPD77KXR2SMLOW3YFI73SBO3LIDJ34TVGGUUAN",
    "kvcounter",
    "registry.example.com/Echo:v1", // repositories are lower case
    "registry.example.com/echo@sha256:abc",
    "registry.example.com/echo:bad tag",
  ])("%s is not a reference", (text) => {
    expect(isOciReference(text)).toBe(false);
  });

  it("latest and untagged references need allowLatest", async () => {
    expect(await codeOf(Promise.resolve().then(() => parseReference("registry.example.com/echo")))).toBe("WACTOR_ERR_OCI_REFERENCE");
    expect(await codeOf(Promise.resolve().then(() => parseReference("registry.example.com/echo:latest")))).toBe("WACTOR_ERR_OCI_REFERENCE");
    expect(parseReference("registry.example.com/echo:latest", { allowLatest: true }).tag).toBe("latest");
    expect(parseReference(`registry.example.com/echo@${DIGEST}`).digest).toBe(DIGEST);
  });

  it("only loopback registries get plain HTTP without --insecure", () => {
    expect(["localhost:5000", "127.0.0.1:5000", "127.1.2.3"].map(isLoopbackRegistry)).toEqual([true, true, true]);
    expect(["registry.example.com", "10.0.0.1:5000", "localhost.example.com"].map(isLoopbackRegistry)).toEqual([false, false, false]);
  });
});

describe("registry challenges", () => {
  it("parses a bearer challenge with quoted values containing commas", () => {
    expect(parseChallenge('Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:team/echo:pull,push"')).toEqual({
      scheme: "bearer",
      params: { realm: "https://auth.example.com/token", service: "registry.example.com", scope: "repository:team/echo:pull,push" },
    });
    expect(parseChallenge('Basic realm="wactor-test"')).toEqual({ scheme: "basic", params: { realm: "wactor-test" } });
  });
});

describe("the artifact layout", () => {
  it("one wasm layer with the module's digest; claims as annotations; wasmCloud's layer type read back too", async () => {
    const signed = await signModule(answerModule(), {
      issuer: KeyPair.create("account"),
      subject: KeyPair.create("module"),
      name: "answer",
      ver: "1.2.3",
      caps: ["wascc:logging"],
    });
    const built = buildArtifact(signed.bytes, signed.claims, "answer.wasm");
    const { manifest, layer } = wasmLayerOf(built.manifest, "test");
    expect(layer).toEqual(built.layer);
    expect(layer.digest).toBe(sha256Digest(signed.bytes));
    expect(manifest.config).toMatchObject({ mediaType: "application/vnd.wasm.config.v1+json", digest: sha256Digest(built.config) });
    expect(manifest.annotations).toMatchObject({
      "dev.wactor.actor.module": signed.claims.subject,
      "dev.wactor.actor.name": "answer",
      "org.opencontainers.image.version": "1.2.3",
      "dev.wactor.actor.capabilities": "wascc:logging",
    });
    const wasmcloud = new TextEncoder().encode(
      JSON.stringify({ ...manifest, layers: [{ ...layer, mediaType: "application/vnd.module.wasm.content.layer.v1+wasm" }] }),
    );
    expect(wasmLayerOf(wasmcloud, "test").layer.digest).toBe(layer.digest);
  });

  it("a manifest without exactly one wasm layer is not an actor", async () => {
    const config = { mediaType: "application/vnd.wasm.config.v1+json", digest: DIGEST, size: 2 };
    const of = (layers: unknown[]): Uint8Array => new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, config, layers }));
    expect(await codeOf(Promise.resolve().then(() => wasmLayerOf(of([]), "t")))).toBe("WACTOR_ERR_OCI_NOT_WASM");
    const wasm = { mediaType: "application/vnd.wasm.content.layer.v1+wasm", digest: DIGEST, size: 1 };
    expect(await codeOf(Promise.resolve().then(() => wasmLayerOf(of([wasm, wasm]), "t")))).toBe("WACTOR_ERR_OCI_NOT_WASM");
    expect(await codeOf(Promise.resolve().then(() => wasmLayerOf(new TextEncoder().encode("{"), "t")))).toBe("WACTOR_ERR_REGISTRY");
  });
});

describe("the digest cache", () => {
  it("returns what was put; a damaged file is dropped, not returned", async () => {
    const cache = new DigestCache(mkdtempSync(join(tmpdir(), "wactor-cache-test-")));
    const bytes = new TextEncoder().encode("module bytes");
    const digest = sha256Digest(bytes);
    expect(await cache.get(digest)).toBeUndefined();
    await cache.put(digest, bytes);
    expect(await cache.get(digest)).toEqual(bytes);
    writeFileSync(join(cache.dir, "sha256", digest.slice(7)), "tampered");
    expect(await cache.get(digest)).toBeUndefined();
    expect(await cache.get(digest)).toBeUndefined(); // and stays gone until fetched again
    rmSync(cache.dir, { recursive: true, force: true });
  });

  it("lives under WACTOR_OCI_CACHE, else the XDG cache directory", () => {
    expect(defaultCacheDir({ WACTOR_OCI_CACHE: "/x/oci" })).toBe("/x/oci");
    expect(defaultCacheDir({ XDG_CACHE_HOME: "/c" })).toBe("/c/wactor/oci");
  });
});

describe("registry credentials", () => {
  it("flags win over OCI_REGISTRY_USER / OCI_REGISTRY_PASSWORD; half a pair is refused", async () => {
    const env = { OCI_REGISTRY_USER: "env-user", OCI_REGISTRY_PASSWORD: "env-pass" };
    expect(credentialsFrom(undefined, undefined, env)).toEqual({ username: "env-user", password: "env-pass" });
    expect(credentialsFrom("flag-user", "flag-pass", env)).toEqual({ username: "flag-user", password: "flag-pass" });
    expect(credentialsFrom(undefined, undefined, {})).toBeUndefined();
    expect(await codeOf(Promise.resolve().then(() => credentialsFrom("only-user", undefined, {})))).toBe("WACTOR_ERR_BAD_ARGUMENT");
  });
});
