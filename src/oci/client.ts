/**
 * The OCI distribution API (v2) for one repository, over Node's built-in fetch: manifests
 * by tag or digest, blobs with digest checks, uploads (monolithic, or chunked when progress
 * is wanted). Why no npm client: see docs/registry.md.
 */
import { createHash } from "node:crypto";
import { WactorError } from "../errors.js";
import { answerChallenge, parseChallenge, type RegistryCredentials } from "./auth.js";
import { isLoopbackRegistry, type OciReference } from "./reference.js";

export interface ClientOptions {
  credentials?: RegistryCredentials;
  /** Plain HTTP even off loopback. */
  insecure?: boolean;
  /** Deadline of one HTTP request. */
  timeoutMs?: number;
  /** Called as blob bytes move (push and pull). */
  onProgress?: (progress: Progress) => void;
}

export interface Progress {
  direction: "push" | "pull";
  digest: string;
  done: number;
  total: number;
}

export interface FetchedManifest {
  bytes: Uint8Array;
  digest: string;
  mediaType: string;
}

export const MANIFEST_ACCEPT = ["application/vnd.oci.image.manifest.v1+json", "application/vnd.docker.distribution.manifest.v2+json"].join(", ");
/** Uploads above this size go in chunks so progress can be reported. */
const CHUNK_BYTES = 1024 * 1024;

export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

export class RegistryClient {
  readonly base: string;
  readonly #ref: OciReference;
  readonly #o: ClientOptions;
  #authorization: string | undefined;

  constructor(ref: OciReference, options: ClientOptions = {}) {
    this.#ref = ref;
    this.#o = options;
    const plain = options.insecure === true || isLoopbackRegistry(ref.registry);
    this.base = `${plain ? "http" : "https"}://${ref.registry}/v2/${ref.repository}`;
  }

  /** The manifest by tag or digest; its digest is computed here, never taken from the registry. */
  async getManifest(reference: string): Promise<FetchedManifest> {
    const response = await this.#request("GET", `${this.base}/manifests/${reference}`, { headers: { accept: MANIFEST_ACCEPT } }, "pull");
    await this.#expect(response, [200], `manifest ${reference}`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    return { bytes, digest: sha256Digest(bytes), mediaType: response.headers.get("content-type") ?? "" };
  }

  /** A blob's bytes, refused unless they hash to `digest`. */
  async getBlob(digest: string, size?: number): Promise<Uint8Array> {
    const response = await this.#request("GET", `${this.base}/blobs/${digest}`, {}, "pull");
    await this.#expect(response, [200], `blob ${digest}`);
    const total = size ?? Number(response.headers.get("content-length") ?? 0);
    const chunks: Uint8Array[] = [];
    let done = 0;
    const reader = response.body?.getReader();
    for (let read = await reader?.read(); read && !read.done; read = await reader!.read()) {
      chunks.push(read.value);
      done += read.value.byteLength;
      this.#o.onProgress?.({ direction: "pull", digest, done, total });
    }
    const bytes = new Uint8Array(Buffer.concat(chunks));
    const actual = sha256Digest(bytes);
    if (actual !== digest) throw new WactorError("WACTOR_ERR_DIGEST_MISMATCH", `blob ${digest} from ${this.#ref.registry} hashes to ${actual}`);
    return bytes;
  }

  async hasBlob(digest: string): Promise<boolean> {
    const response = await this.#request("HEAD", `${this.base}/blobs/${digest}`, {}, "pull,push");
    if (response.status === 404) return false;
    await this.#expect(response, [200], `blob ${digest}`);
    return true;
  }

  /** Uploads a blob unless the registry has it already. */
  async pushBlob(bytes: Uint8Array, digest = sha256Digest(bytes)): Promise<void> {
    if (await this.hasBlob(digest)) {
      this.#o.onProgress?.({ direction: "push", digest, done: bytes.byteLength, total: bytes.byteLength });
      return;
    }
    const started = await this.#request("POST", `${this.base}/blobs/uploads/`, { headers: { "content-length": "0" } }, "pull,push");
    await this.#expect(started, [202], "blob upload");
    let location = this.#location(started);
    // Chunks (PATCH) only when someone watches progress; one PUT otherwise.
    if (this.#o.onProgress && bytes.byteLength > CHUNK_BYTES) {
      for (let offset = 0; offset < bytes.byteLength; offset += CHUNK_BYTES) {
        const chunk = bytes.subarray(offset, Math.min(offset + CHUNK_BYTES, bytes.byteLength));
        const headers = { "content-type": "application/octet-stream", "content-range": `${offset}-${offset + chunk.byteLength - 1}` };
        const patched = await this.#request("PATCH", location, { headers, body: chunk }, "pull,push");
        await this.#expect(patched, [202], "blob chunk");
        location = this.#location(patched);
        this.#o.onProgress({ direction: "push", digest, done: offset + chunk.byteLength, total: bytes.byteLength });
      }
      const closed = await this.#request("PUT", withDigest(location, digest), { headers: { "content-length": "0" } }, "pull,push");
      await this.#expect(closed, [201], `blob ${digest}`);
      return;
    }
    const put = await this.#request("PUT", withDigest(location, digest), { headers: { "content-type": "application/octet-stream" }, body: bytes }, "pull,push");
    await this.#expect(put, [201], `blob ${digest}`);
    this.#o.onProgress?.({ direction: "push", digest, done: bytes.byteLength, total: bytes.byteLength });
  }

  /** Stores a manifest under a tag (or its digest); returns its digest. */
  async putManifest(reference: string, bytes: Uint8Array, mediaType: string): Promise<string> {
    const response = await this.#request("PUT", `${this.base}/manifests/${reference}`, { headers: { "content-type": mediaType }, body: bytes }, "pull,push");
    await this.#expect(response, [201], `manifest ${reference}`);
    return sha256Digest(bytes);
  }

  #location(response: Response): string {
    const location = response.headers.get("location");
    if (!location) throw new WactorError("WACTOR_ERR_REGISTRY", `${this.#ref.registry} started an upload without a Location`);
    return new URL(location, this.base).href;
  }

  /** One request; a 401 is answered once (basic or token flow) and the request retried. */
  async #request(method: string, url: string, init: { headers?: Record<string, string>; body?: Uint8Array }, actions: string): Promise<Response> {
    const send = (authorization: string | undefined): Promise<Response> =>
      this.#fetch(url, {
        method,
        headers: { ...init.headers, ...(authorization !== undefined && { authorization }) },
        ...(init.body !== undefined && { body: init.body }),
      });
    let response = await send(this.#authorization);
    if (response.status !== 401) return response;
    await response.body?.cancel();
    const header = response.headers.get("www-authenticate");
    if (!header) throw new WactorError("WACTOR_ERR_REGISTRY_AUTH", `${this.#ref.registry} answered 401 without a challenge`);
    const scope = `repository:${this.#ref.repository}:${actions}`;
    this.#authorization = await answerChallenge(parseChallenge(header), this.#o.credentials, scope, (tokenUrl, headers) =>
      this.#fetch(tokenUrl.href, { method: "GET", headers }),
    );
    response = await send(this.#authorization);
    if (response.status === 401) {
      await response.body?.cancel();
      throw new WactorError(
        "WACTOR_ERR_REGISTRY_AUTH",
        `${this.#ref.registry} refused the credentials${this.#o.credentials ? ` of user '${this.#o.credentials.username}'` : ""} for ${scope}`,
      );
    }
    return response;
  }

  async #fetch(url: string, init: { method: string; headers: Record<string, string>; body?: Uint8Array }): Promise<Response> {
    try {
      // Bodies are whole Uint8Arrays over plain ArrayBuffers (read from files or built here).
      const body = init.body as Uint8Array<ArrayBuffer> | undefined;
      return await fetch(url, { ...init, body, redirect: "follow", signal: AbortSignal.timeout(this.#o.timeoutMs ?? 120_000) });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (err as Error).message;
      throw new WactorError("WACTOR_ERR_REGISTRY_UNAVAILABLE", `${init.method} ${url}: ${why}`, { cause: err });
    }
  }

  async #expect(response: Response, statuses: number[], what: string): Promise<void> {
    if (statuses.includes(response.status)) return;
    const text = await response.text().catch(() => "");
    const detail = `${what} in ${this.#ref.registry}/${this.#ref.repository}: ${response.status} ${registryMessage(text)}`.trim();
    if (response.status === 404) throw new WactorError("WACTOR_ERR_REGISTRY_NOT_FOUND", detail);
    if (response.status === 403) throw new WactorError("WACTOR_ERR_REGISTRY_AUTH", detail);
    throw new WactorError("WACTOR_ERR_REGISTRY", detail);
  }
}

function withDigest(location: string, digest: string): string {
  const url = new URL(location);
  url.searchParams.set("digest", digest);
  return url.href;
}

/** The registry's own error codes (`{"errors":[{"code","message"}]}`), else its text, short. */
function registryMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { errors?: Array<{ code?: string; message?: string }> };
    if (Array.isArray(body.errors)) return body.errors.map((e) => `${e.code ?? ""} ${e.message ?? ""}`.trim()).join("; ");
  } catch {
    // not JSON
  }
  return text.slice(0, 200);
}
