/**
 * The distribution API by hand with curl: the independent client the registry tests compare
 * wactor against (pushes what wactor must pull, reads what wactor pushed).
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const sha256 = (bytes: Uint8Array): string => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

export interface Curl {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** One curl request; `user` as `name:password` for basic auth. */
export function curl(method: string, url: string, options: { headers?: Record<string, string>; body?: Uint8Array; user?: string } = {}): Curl {
  const dir = mkdtempSync(join(tmpdir(), "wactor-curl-"));
  try {
    return curlIn(dir, method, url, options);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function curlIn(dir: string, method: string, url: string, options: { headers?: Record<string, string>; body?: Uint8Array; user?: string }): Curl {
  const args = ["-s", "-S", "-X", method, "-D", "-", "-o", join(dir, "out"), url];
  if (method === "HEAD") args.splice(args.indexOf("-X"), 2, "-I");
  for (const [k, v] of Object.entries(options.headers ?? {})) args.push("-H", `${k}: ${v}`);
  if (options.user) args.push("-u", options.user);
  if (options.body) {
    const file = join(dir, "body");
    writeFileSync(file, options.body);
    args.push("--data-binary", `@${file}`);
  }
  const result = spawnSync("curl", args, { encoding: "buffer", timeout: 20_000 });
  if (result.status !== 0) throw new Error(`curl ${method} ${url}: ${result.stderr.toString()}`);
  const head =
    result.stdout
      .toString("latin1")
      .split("\r\n\r\n")
      .filter((b) => b.startsWith("HTTP/"))
      .pop() ?? "";
  const [statusLine = "", ...lines] = head.split("\r\n");
  const headers = Object.fromEntries(
    lines.filter((l) => l.includes(":")).map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()]),
  );
  const body = method === "HEAD" ? Buffer.alloc(0) : readFileSync(join(dir, "out"));
  return { status: Number(statusLine.split(" ")[1]), headers, body };
}

/** Monolithic blob upload (POST, then PUT with the digest); returns the digest. */
export function curlPushBlob(registry: string, repository: string, bytes: Uint8Array, user?: string): string {
  const digest = sha256(bytes);
  const started = curl("POST", `http://${registry}/v2/${repository}/blobs/uploads/`, { ...(user && { user }) });
  if (started.status !== 202) throw new Error(`upload start: ${started.status} ${started.body.toString()}`);
  const location = new URL(started.headers.location!, `http://${registry}`);
  location.searchParams.set("digest", digest);
  const put = curl("PUT", location.href, { headers: { "content-type": "application/octet-stream" }, body: bytes, ...(user && { user }) });
  if (put.status !== 201) throw new Error(`blob put: ${put.status} ${put.body.toString()}`);
  return digest;
}

/** Pushes `module` as a wasm-to-oci artifact (or with another layer type) under `tag`; returns the manifest digest. */
export function curlPushWasm(
  registry: string,
  repository: string,
  tag: string,
  module: Uint8Array,
  layerType = "application/vnd.wasm.content.layer.v1+wasm",
): string {
  const config = Buffer.from("{}");
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.wasm.config.v1+json", digest: curlPushBlob(registry, repository, config), size: config.length },
      layers: [{ mediaType: layerType, digest: curlPushBlob(registry, repository, module), size: module.byteLength }],
    }),
  );
  const put = curl("PUT", `http://${registry}/v2/${repository}/manifests/${tag}`, {
    headers: { "content-type": "application/vnd.oci.image.manifest.v1+json" },
    body: manifest,
  });
  if (put.status !== 201) throw new Error(`manifest put: ${put.status} ${put.body.toString()}`);
  return sha256(manifest);
}
