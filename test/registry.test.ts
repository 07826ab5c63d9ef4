/**
 * `wactor reg push/pull` against a real registry (Debian's docker-registry, distribution
 * 2.8): one open, one behind htpasswd basic auth. curl is the independent client.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { KeyPair } from "../src/claims/nkeys.js";
import { signModule } from "../src/claims/sign.js";
import { pullActor, pushActor } from "../src/oci/registry.js";
import { actor, signedBytes } from "./helpers/actors.js";
import { wactor, wactorAsync } from "./helpers/cli.js";
import { codeOf } from "./helpers/code-of.js";
import { curl, curlPushWasm, sha256 } from "./helpers/curl-registry.js";
import { restoreCredentialsEnv, startRegistry, type RegistryHandle } from "./helpers/registry.js";
import { freePort } from "./helpers/servers.js";
import { answerModule, customSection } from "./helpers/wasm-fixtures.js";

const echo = actor("echo");
const dir = mkdtempSync(join(tmpdir(), "wactor-reg-test-"));
const MANIFEST_ACCEPT = "application/vnd.oci.image.manifest.v1+json";

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("wactor reg against an open registry", () => {
  let registry: RegistryHandle;
  beforeAll(async () => {
    process.env.WACTOR_OCI_CACHE = join(dir, "cache");
    registry = await startRegistry();
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it("push then pull gives the same bytes; --json names the digest, module key and caps", () => {
    const ref = `${registry.host}/wactor/echo:v1`;
    const pushed = wactor(["reg", "push", ref, echo.signedPath, "--json"]);
    expect(pushed.stderr).toBe("");
    expect(pushed.status).toBe(0);
    const push = JSON.parse(pushed.stdout) as { digest: string; layerDigest: string; module: string; caps: string[] };
    expect(push).toMatchObject({ module: echo.publicKey, caps: ["wascc:http_server"], layerDigest: sha256(signedBytes("echo")) });
    const out = join(dir, "echo-pulled.wasm");
    const pulled = wactor(["reg", "pull", ref, "-o", out, "--json"]);
    expect(pulled.status).toBe(0);
    expect(JSON.parse(pulled.stdout)).toMatchObject({ digest: push.digest, module: echo.publicKey, name: "echo" });
    expect(Buffer.compare(readFileSync(out), Buffer.from(signedBytes("echo")))).toBe(0);
  });

  it("what wactor pushed is read back by curl byte for byte, with wasm-to-oci media types and claim annotations", async () => {
    const { digest } = await pushActor(`${registry.host}/wactor/readback:1.0.0`, signedBytes("echo"), "echo_s.wasm");
    const manifest = curl("GET", `http://${registry.host}/v2/wactor/readback/manifests/1.0.0`, { headers: { accept: MANIFEST_ACCEPT } });
    expect(manifest.status).toBe(200);
    expect(sha256(manifest.body)).toBe(digest);
    expect(manifest.headers["docker-content-digest"]).toBe(digest);
    const json = JSON.parse(manifest.body.toString()) as {
      config: { mediaType: string };
      layers: Array<{ mediaType: string; digest: string }>;
      annotations: Record<string, string>;
    };
    expect(json.config.mediaType).toBe("application/vnd.wasm.config.v1+json");
    expect(json.layers.map((l) => l.mediaType)).toEqual(["application/vnd.wasm.content.layer.v1+wasm"]);
    expect(json.annotations).toMatchObject({
      "dev.wactor.actor.module": echo.publicKey,
      "dev.wactor.actor.name": "echo",
      "dev.wactor.actor.capabilities": "wascc:http_server",
    });
    const blob = curl("GET", `http://${registry.host}/v2/wactor/readback/blobs/${json.layers[0]!.digest}`);
    expect(blob.status).toBe(200);
    expect(Buffer.compare(blob.body, Buffer.from(signedBytes("echo")))).toBe(0);
  });

  it("an artifact pushed by curl with the wasm-to-oci types pulls and verifies; wasmCloud's layer type too", async () => {
    const digest = curlPushWasm(registry.host, "other/echo", "v1", signedBytes("echo"));
    expect(await pullActor(`${registry.host}/other/echo:v1`)).toMatchObject({ digest, claims: { subject: echo.publicKey } });
    curlPushWasm(registry.host, "other/echo", "wasmcloud", signedBytes("echo"), "application/vnd.module.wasm.content.layer.v1+wasm");
    expect((await pullActor(`${registry.host}/other/echo:wasmcloud`)).claims.subject).toBe(echo.publicKey);
    curlPushWasm(registry.host, "other/echo", "tarball", signedBytes("echo"), "application/vnd.oci.image.layer.v1.tar+gzip");
    expect(await codeOf(pullActor(`${registry.host}/other/echo:tarball`))).toBe("WACTOR_ERR_OCI_NOT_WASM");
  });

  it("a tampered module under a tag is refused with the hash error and nothing is written", () => {
    const original = signedBytes("echo");
    const tampered = new Uint8Array([...original, ...customSection("extra", [1, 2, 3])]);
    curlPushWasm(registry.host, "tampered/echo", "v1", tampered);
    const out = join(dir, "tampered.wasm");
    const result = wactor(["reg", "pull", `${registry.host}/tampered/echo:v1`, "-o", out]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("error[WACTOR_ERR_HASH_MISMATCH]");
    expect(existsSync(out)).toBe(false);
  });

  it("a wrong --digest is refused; the right one, and a reference pinned by it, are accepted", async () => {
    const ref = `${registry.host}/wactor/pinned:v1`;
    const { digest } = await pushActor(ref, signedBytes("echo"), "echo_s.wasm");
    const out = join(dir, "digest.wasm");
    const wrong = wactor(["reg", "pull", ref, "-o", out, "--digest", `sha256:${"0".repeat(64)}`]);
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(/error\[WACTOR_ERR_DIGEST_MISMATCH\].*resolves to manifest sha256:/);
    expect(existsSync(out)).toBe(false);
    expect((await pullActor(ref, { expectDigest: digest })).digest).toBe(digest);
    expect((await pullActor(`${registry.host}/wactor/pinned@${digest}`)).digest).toBe(digest);
    expect(await codeOf(pullActor(`${registry.host}/wactor/pinned@${digest}`, { expectDigest: `sha256:${"1".repeat(64)}` }))).toBe(
      "WACTOR_ERR_DIGEST_MISMATCH",
    );
  });

  it("a push verifies the claims first: an unsigned module is refused and nothing reaches the registry", () => {
    const result = wactor(["reg", "push", `${registry.host}/wactor/unsigned:v1`, echo.path]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("error[WACTOR_ERR_NO_CLAIMS]");
    expect(curl("GET", `http://${registry.host}/v2/wactor/unsigned/tags/list`).status).toBe(404);
  });

  it(":latest and untagged references are refused unless --allow-latest", async () => {
    const untagged = wactor(["reg", "push", `${registry.host}/wactor/echo`, echo.signedPath]);
    expect(untagged.stderr).toContain("error[WACTOR_ERR_OCI_REFERENCE]");
    expect(await codeOf(pushActor(`${registry.host}/wactor/echo:latest`, signedBytes("echo"), "echo_s.wasm"))).toBe("WACTOR_ERR_OCI_REFERENCE");
    expect(wactor(["reg", "push", `${registry.host}/wactor/echo:latest`, echo.signedPath, "--allow-latest"]).status).toBe(0);
    expect(await codeOf(pullActor(`${registry.host}/wactor/echo`))).toBe("WACTOR_ERR_OCI_REFERENCE");
    expect((await pullActor(`${registry.host}/wactor/echo`, { allowLatest: true })).claims.subject).toBe(echo.publicKey);
  });

  it("trusted issuers refuse a module signed by another account", async () => {
    const other = KeyPair.create("account").publicKey;
    expect(await codeOf(pullActor(`${registry.host}/wactor/echo:v1`, { trustedIssuers: [other] }))).toBe("WACTOR_ERR_UNTRUSTED_ISSUER");
  });

  it("a reference pinned by digest comes from the disk cache: the registry is not asked again", async () => {
    const ref = `${registry.host}/wactor/cached:v1`;
    const { digest } = await pushActor(ref, signedBytes("echo"), "echo_s.wasm");
    const cacheDir = join(dir, "pinned-cache");
    const first = await pullActor(`${registry.host}/wactor/cached@${digest}`, { cacheDir });
    expect(first.fromCache).toBe(false);
    // Deleting the manifest from the registry proves the second pull never asks it.
    expect(curl("DELETE", `http://${registry.host}/v2/wactor/cached/manifests/${digest}`).status).toBe(202);
    const second = await pullActor(`${registry.host}/wactor/cached@${digest}`, { cacheDir });
    expect(second).toMatchObject({ fromCache: true, digest, layerDigest: first.layerDigest });
    expect(Buffer.compare(Buffer.from(second.bytes), Buffer.from(first.bytes))).toBe(0);
    // A tag is always resolved again: gone from the registry, it is not found.
    expect(await codeOf(pullActor(ref, { cacheDir }))).toBe("WACTOR_ERR_REGISTRY_NOT_FOUND");
  });

  it("a tag is re-resolved on every pull: re-pointed to another actor, the next pull gets that one", async () => {
    const ref = `${registry.host}/wactor/moving:v1`;
    await pushActor(ref, signedBytes("echo"), "echo_s.wasm");
    expect((await pullActor(ref)).claims.subject).toBe(echo.publicKey);
    await pushActor(ref, signedBytes("kvcounter"), "kvcounter_s.wasm");
    expect((await pullActor(ref)).claims.subject).toBe(actor("kvcounter").publicKey);
  });

  it("large modules report progress on stderr, pushed in chunks and pulled back intact", async () => {
    const signed = await signModule(answerModule({ padding: 3 * 1024 * 1024 }), {
      issuer: KeyPair.create("account"),
      subject: KeyPair.create("module"),
      name: "big",
    });
    const file = join(dir, "big.wasm");
    writeFileSync(file, signed.bytes);
    const ref = `${registry.host}/wactor/big:v1`;
    const pushed = await wactorAsync(["reg", "push", ref, file]);
    expect(pushed.status).toBe(0);
    expect(pushed.stderr).toMatch(/pushing sha256:[0-9a-f]{12}… 3\.0\/3\.0 MiB \(100%\)/);
    const out = join(dir, "big-pulled.wasm");
    const pulled = await wactorAsync(["reg", "pull", ref, "-o", out]);
    expect(pulled.status).toBe(0);
    expect(pulled.stderr).toMatch(/pulling sha256:[0-9a-f]{12}… 3\.0\/3\.0 MiB \(100%\)/);
    expect(Buffer.compare(readFileSync(out), Buffer.from(signed.bytes))).toBe(0);
  });

  it("a registry that is down is a clear error", async () => {
    const result = wactor(["reg", "pull", `127.0.0.1:${await freePort()}/wactor/echo:v1`, "-o", join(dir, "down.wasm")]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/error\[WACTOR_ERR_REGISTRY_UNAVAILABLE\].*ECONNREFUSED/);
  });
});

describe("wactor reg against a registry with htpasswd basic auth", () => {
  let registry: RegistryHandle;
  const env = { ...process.env };
  beforeAll(async () => {
    registry = await startRegistry({ users: { alice: "s3cret" } });
  });
  afterAll(async () => {
    await registry?.stop();
  });
  afterEach(() => restoreCredentialsEnv(env));

  it("without credentials, or with a wrong password, push and pull fail with the auth error", async () => {
    const ref = `${registry.host}/private/echo:v1`;
    const none = wactor(["reg", "push", ref, echo.signedPath]);
    expect(none.status).toBe(1);
    expect(none.stderr).toContain("error[WACTOR_ERR_REGISTRY_AUTH]");
    const wrong = wactor(["reg", "push", ref, echo.signedPath, "--user", "alice", "--password", "nope"]);
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(/error\[WACTOR_ERR_REGISTRY_AUTH\].*user 'alice'/);
    expect(await codeOf(pullActor(ref, { credentials: { username: "alice", password: "nope" } }))).toBe("WACTOR_ERR_REGISTRY_AUTH");
  });

  it("flags or OCI_REGISTRY_USER / OCI_REGISTRY_PASSWORD let push and pull through", async () => {
    const ref = `${registry.host}/private/echo:v1`;
    expect(wactor(["reg", "push", ref, echo.signedPath, "--user", "alice", "--password", "s3cret"]).status).toBe(0);
    const out = join(dir, "private.wasm");
    expect(await codeOf(pullActor(ref))).toBe("WACTOR_ERR_REGISTRY_AUTH");
    process.env.OCI_REGISTRY_USER = "alice";
    process.env.OCI_REGISTRY_PASSWORD = "s3cret";
    const pulled = wactor(["reg", "pull", ref, "-o", out]);
    expect(pulled.stderr).toBe("");
    expect(Buffer.compare(readFileSync(out), Buffer.from(signedBytes("echo")))).toBe(0);
    expect(curl("GET", `http://${registry.host}/v2/private/echo/tags/list`, { user: "alice:s3cret" }).body.toString()).toContain('"v1"');
  });
});

describe("wactor reg against a registry behind the bearer token flow", () => {
  let registry: RegistryHandle;
  beforeAll(async () => {
    registry = await startRegistry({ users: { carol: "t0ken" }, tokenAuth: true });
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it("a 401 with WWW-Authenticate: Bearer sends the client to the token endpoint with its credentials", async () => {
    const ref = `${registry.host}/tokened/echo:v1`;
    const credentials = { username: "carol", password: "t0ken" };
    expect(await codeOf(pushActor(ref, signedBytes("echo"), "echo_s.wasm"))).toBe("WACTOR_ERR_REGISTRY_AUTH");
    expect(await codeOf(pushActor(ref, signedBytes("echo"), "echo_s.wasm", { credentials: { ...credentials, password: "nope" } }))).toBe(
      "WACTOR_ERR_REGISTRY_AUTH",
    );
    const pushed = await pushActor(ref, signedBytes("echo"), "echo_s.wasm", { credentials });
    const pulled = await pullActor(ref, { credentials, cacheDir: join(dir, "token-cache") });
    expect(pulled.digest).toBe(pushed.digest);
    expect(pulled.claims.subject).toBe(echo.publicKey);
    // The registry's challenge lists the actions in no fixed order (push,pull or pull,push): compare them as a set.
    const actions = registry
      .tokens!.requests.filter((r) => r.user === "carol" && r.scope.startsWith("repository:tokened/echo:"))
      .map((r) => r.scope.split(":")[2]!.split(",").sort().join(","));
    expect(actions).toContain("pull,push");
    expect(registry.tokens!.requests).toContainEqual({ scope: "repository:tokened/echo:pull", user: "carol" });
    // Without the token the registry answers nothing.
    expect(curl("GET", `http://${registry.host}/v2/tokened/echo/manifests/v1`, { user: "carol:t0ken" }).status).toBe(401);
  });
});
