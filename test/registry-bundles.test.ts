/**
 * Signed bundles as OCI artifacts against a real registry (Debian's docker-registry): `wactor
 * reg push/pull` of a `.wasm.zip`, the seal checked before the push and after the pull, curl
 * as the independent client, and a host manifest serving a bundle by reference.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readZip, writeZip } from "../src/bundle/zip.js";
import { KeyPair } from "../src/claims/nkeys.js";
import { applyHostManifest } from "../src/deploy/apply-host-manifest.js";
import { parseHostManifest } from "../src/deploy/host-manifest.js";
import { pullBundle, pushBundle } from "../src/oci/bundles.js";
import { pullActor } from "../src/oci/registry.js";
import { signedBundle, unsignedBundle, xDirective, type BundleSpec } from "./helpers/bundles.js";
import { wactor } from "./helpers/cli.js";
import { codeOf } from "./helpers/code-of.js";
import { curl, curlPushBlob, sha256 } from "./helpers/curl-registry.js";
import { startRegistry, type RegistryHandle } from "./helpers/registry.js";

const SPEC: BundleSpec = {
  directive: xDirective(`handlers:\n  - { type: request, method: POST, resource: /hello, steps: [ { fn: echo } ] }\n`, ["echo"]),
  modules: { echo: "echo" },
  caps: ["wascc:http_server"],
};
const MANIFEST_ACCEPT = "application/vnd.oci.image.manifest.v1+json";

const dir = mkdtempSync(join(tmpdir(), "wactor-reg-bundles-"));
let registry: RegistryHandle;
let bundle: Uint8Array;
let bundleFile: string;

beforeAll(async () => {
  process.env.WACTOR_OCI_CACHE = join(dir, "cache");
  registry = await startRegistry();
  bundle = await signedBundle(SPEC);
  bundleFile = join(dir, "app.wasm.zip");
  writeFileSync(bundleFile, bundle);
}, 60_000);

afterAll(async () => {
  await registry?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The same archive with its Directive changed after signing (the seal still names the old one). */
function tampered(signed: Uint8Array): Uint8Array {
  const entries = readZip(signed, "signed.wasm.zip");
  const directive = new TextDecoder().decode(entries.get("Directive.yaml")!).replace("/hello", "/owned");
  entries.set("Directive.yaml", new TextEncoder().encode(directive));
  return writeZip(entries);
}

/** Pushes bytes under the bundle media types with curl, as a registry-side tamper would. */
function curlPushBundle(repository: string, tag: string, bytes: Uint8Array): void {
  const config = Buffer.from("{}");
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: MANIFEST_ACCEPT,
    config: { mediaType: "application/vnd.wactor.bundle.config.v1+json", digest: curlPushBlob(registry.host, repository, config), size: config.length },
    layers: [{ mediaType: "application/vnd.wactor.bundle.layer.v1+zip", digest: curlPushBlob(registry.host, repository, bytes), size: bytes.byteLength }],
  });
  const put = curl("PUT", `http://${registry.host}/v2/${repository}/manifests/${tag}`, {
    headers: { "content-type": MANIFEST_ACCEPT },
    body: Buffer.from(manifest),
  });
  expect(put.status).toBe(201);
}

describe("bundles in an OCI registry", () => {
  it("wactor reg push then pull gives the same archive; --json names the app, the sealing account and each function", () => {
    const ref = `${registry.host}/apps/hello:v1`;
    const pushed = wactor(["reg", "push", ref, bundleFile, "--json"]);
    expect(pushed.stderr).toBe("");
    expect(pushed.status).toBe(0);
    const push = JSON.parse(pushed.stdout) as { kind: string; digest: string; layerDigest: string; identifier: string; functions: Array<{ fqfn: string }> };
    expect(push).toMatchObject({ kind: "bundle", identifier: "com.suborbital.test", layerDigest: sha256(bundle) });
    expect(push.functions.map((f) => f.fqfn)).toEqual(["com.suborbital.test#default::echo@v0.0.1"]);
    const out = join(dir, "pulled.wasm.zip");
    const pulled = wactor(["reg", "pull", ref, "-o", out, "--json"]);
    expect(pulled.status).toBe(0);
    expect(JSON.parse(pulled.stdout)).toMatchObject({ kind: "bundle", digest: push.digest, appVersion: "v0.0.1" });
    expect(Buffer.compare(readFileSync(out), Buffer.from(bundle))).toBe(0);
  });

  it("curl reads back wactor's bundle media types and annotations, and the archive byte for byte", async () => {
    const { digest, bundle: loaded } = await pushBundle(`${registry.host}/apps/readback:1.0.0`, bundle, "app.wasm.zip");
    const manifest = curl("GET", `http://${registry.host}/v2/apps/readback/manifests/1.0.0`, { headers: { accept: MANIFEST_ACCEPT } });
    expect(sha256(manifest.body)).toBe(digest);
    const json = JSON.parse(manifest.body.toString()) as {
      config: { mediaType: string };
      layers: Array<{ mediaType: string; digest: string }>;
      annotations: Record<string, string>;
    };
    expect(json.config.mediaType).toBe("application/vnd.wactor.bundle.config.v1+json");
    expect(json.layers.map((l) => l.mediaType)).toEqual(["application/vnd.wactor.bundle.layer.v1+zip"]);
    expect(json.annotations).toMatchObject({ "dev.wactor.bundle.identifier": "com.suborbital.test", "dev.wactor.bundle.issuer": loaded.seal.issuer });
    const blob = curl("GET", `http://${registry.host}/v2/apps/readback/blobs/${json.layers[0]!.digest}`);
    expect(Buffer.compare(blob.body, Buffer.from(bundle))).toBe(0);
  });

  it("an unsigned or tampered bundle is refused before anything is pushed", async () => {
    expect(await codeOf(pushBundle(`${registry.host}/apps/unsigned:v1`, unsignedBundle(SPEC), "app.wasm.zip"))).toBe("WACTOR_ERR_BUNDLE_UNSIGNED");
    expect(await codeOf(pushBundle(`${registry.host}/apps/tampered:v1`, tampered(bundle), "app.wasm.zip"))).toBe("WACTOR_ERR_BUNDLE_TAMPERED");
    for (const repo of ["unsigned", "tampered"])
      expect(curl("GET", `http://${registry.host}/v2/apps/${repo}/manifests/v1`, { headers: { accept: MANIFEST_ACCEPT } }).status).toBe(404);
  });

  it("a bundle altered in the registry is refused at pull, and nothing is written", async () => {
    curlPushBundle("apps/altered", "v1", tampered(bundle));
    const out = join(dir, "altered.wasm.zip");
    const pulled = wactor(["reg", "pull", `${registry.host}/apps/altered:v1`, "-o", out]);
    expect(pulled.status).not.toBe(0);
    expect(pulled.stderr).toContain("WACTOR_ERR_BUNDLE_TAMPERED");
    expect(() => readFileSync(out)).toThrow();
  });

  it("a pull of the wrong kind says what the reference holds; trusted issuers apply to the sealing account", async () => {
    await pushBundle(`${registry.host}/apps/kind:v1`, bundle, "app.wasm.zip");
    const wrongKind = await pullActor(`${registry.host}/apps/kind:v1`).catch((err: unknown) => err as Error);
    expect(wrongKind).toMatchObject({ code: "WACTOR_ERR_OCI_NOT_WASM" });
    expect((wrongKind as Error).message).toContain("is a bundle");
    const other = KeyPair.create("account").publicKey;
    expect(await codeOf(pullBundle(`${registry.host}/apps/kind:v1`, { trustedIssuers: [other] }))).toBe("WACTOR_ERR_UNTRUSTED_ISSUER");
  });

  it("a host manifest serves a bundle named by its reference", { timeout: 60_000 }, async () => {
    const ref = `${registry.host}/apps/served:v1`;
    await pushBundle(ref, bundle, "app.wasm.zip");
    const manifest = parseHostManifest(`bundles:\n  - { path: "${ref}", port: 0 }\n`, join(dir, "host.yaml"));
    expect(manifest.bundles[0]).toMatchObject({ ref });
    const running = await applyHostManifest(manifest, { logger: pino({ level: "silent" }) });
    try {
      const base = `http://127.0.0.1:${running.bundles![0]!.info!.address!.port}`;
      const reply = await fetch(`${base}/hello`, { method: "POST", body: "from the registry" });
      expect(reply.status).toBe(200);
      expect(await reply.text()).toBe("from the registry");
    } finally {
      for (const b of running.bundles ?? []) await b.stop();
      await running.host.shutdown();
    }
  });
});
