/**
 * The bad-input corpus: each entry builds one hostile or broken input and names the error
 * code wactor documents for it. Used by bad-inputs.test.ts.
 */
import { generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { encode } from "@msgpack/msgpack";
import { SignJWT } from "jose";
import { KeyPair } from "../../src/claims/nkeys.js";
import { signModule } from "../../src/claims/sign.js";
import { appendCustomSection, stripJwtSections, writeVarU32 } from "../../src/claims/wasm-sections.js";
import type { ErrorCode } from "../../src/errors.js";
import { actor } from "../helpers/actors.js";

export const account = KeyPair.create("account");
const moduleKey = KeyPair.create("module");

export interface WasmCase {
  name: string;
  code: ErrorCode;
  bytes: () => Promise<Uint8Array>;
  /** Host trust list for this case (untrusted issuer). */
  trustedIssuers?: string[];
}

const unsigned = (): Uint8Array => stripJwtSections(new Uint8Array(readFileSync(actor("echo").path)));
const sign = (bytes: Uint8Array, extra: Partial<Parameters<typeof signModule>[1]> = {}) =>
  signModule(bytes, { issuer: account, subject: moduleKey, caps: ["wascc:http_server"], name: "corpus", ...extra });
const withJwt = (token: string): Uint8Array => appendCustomSection(unsigned(), "jwt", new TextEncoder().encode(token));
const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString("base64url");

async function validPayload(): Promise<Record<string, unknown>> {
  const { token } = await sign(unsigned());
  return JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as Record<string, unknown>;
}

/** A minimal valid wasm module: magic, version, one custom section. */
function tinyModule(): Uint8Array {
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
}

export const wasmCases: WasmCase[] = [
  { name: "empty file", code: "WACTOR_ERR_NOT_WASM", bytes: async () => new Uint8Array() },
  { name: "three bytes of the magic", code: "WACTOR_ERR_TRUNCATED_MODULE", bytes: async () => new Uint8Array([0, 0x61, 0x73]) },
  { name: "wrong magic", code: "WACTOR_ERR_NOT_WASM", bytes: async () => Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 1, 0, 0, 0]) },
  { name: "wrong version", code: "WACTOR_ERR_NOT_WASM", bytes: async () => Uint8Array.from([0, 0x61, 0x73, 0x6d, 2, 0, 0, 0]) },
  { name: "a text file", code: "WACTOR_ERR_NOT_WASM", bytes: async () => new TextEncoder().encode("#!/bin/sh\necho hi\n") },
  {
    name: "signed module cut in half",
    code: "WACTOR_ERR_TRUNCATED_MODULE",
    bytes: async () => {
      const b = (await sign(unsigned())).bytes;
      return b.slice(0, b.length >> 1);
    },
  },
  {
    name: "section claiming 4 GiB",
    code: "WACTOR_ERR_TRUNCATED_MODULE",
    bytes: async () => Uint8Array.from([...tinyModule(), 0, ...writeVarU32(0xffffffff), 1, 2, 3]),
  },
  {
    name: "section size varint overlong",
    code: "WACTOR_ERR_TRUNCATED_MODULE",
    bytes: async () => Uint8Array.from([...tinyModule(), 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f]),
  },
  { name: "no claims", code: "WACTOR_ERR_NO_CLAIMS", bytes: async () => unsigned() },
  {
    name: "two jwt sections",
    code: "WACTOR_ERR_MALFORMED_TOKEN",
    bytes: async () => {
      const { bytes, token } = await sign(unsigned());
      return appendCustomSection(bytes, "jwt", new TextEncoder().encode(token));
    },
  },
  { name: "junk jwt section", code: "WACTOR_ERR_MALFORMED_TOKEN", bytes: async () => withJwt("garbage") },
  { name: "empty jwt section", code: "WACTOR_ERR_MALFORMED_TOKEN", bytes: async () => withJwt("") },
  {
    name: "binary jwt section",
    code: "WACTOR_ERR_MALFORMED_TOKEN",
    bytes: async () => appendCustomSection(unsigned(), "jwt", new Uint8Array([0xff, 0xfe, 0, 1])),
  },
  {
    name: "payload not JSON",
    code: "WACTOR_ERR_MALFORMED_TOKEN",
    bytes: async () => withJwt(`${b64({ alg: "Ed25519", typ: "jwt" })}.${Buffer.from("{nope").toString("base64url")}.AAAA`),
  },
  {
    name: "sub is an account key",
    code: "WACTOR_ERR_MALFORMED_TOKEN",
    bytes: async () => withJwt(`${b64({ alg: "Ed25519", typ: "jwt" })}.${b64({ ...(await validPayload()), sub: account.publicKey })}.AAAA`),
  },
  {
    name: "caps not a list",
    code: "WACTOR_ERR_MALFORMED_TOKEN",
    bytes: async () => {
      const p = await validPayload();
      return withJwt(`${b64({ alg: "Ed25519", typ: "jwt" })}.${b64({ ...p, wascap: { ...(p.wascap as object), caps: "wascc:keyvalue" } })}.AAAA`);
    },
  },
  { name: "alg none", code: "WACTOR_ERR_UNSUPPORTED_ALG", bytes: async () => withJwt(`${b64({ alg: "none", typ: "jwt" })}.${b64(await validPayload())}.`) },
  {
    name: "alg HS256",
    code: "WACTOR_ERR_UNSUPPORTED_ALG",
    bytes: async () => withJwt(await new SignJWT(await validPayload()).setProtectedHeader({ alg: "HS256" }).sign(new Uint8Array(32))),
  },
  {
    name: "alg RS256",
    code: "WACTOR_ERR_UNSUPPORTED_ALG",
    bytes: async () =>
      withJwt(
        await new SignJWT(await validPayload()).setProtectedHeader({ alg: "RS256" }).sign(generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey),
      ),
  },
  {
    name: "signed by another key",
    code: "WACTOR_ERR_BAD_SIGNATURE",
    bytes: async () =>
      withJwt(await new SignJWT(await validPayload()).setProtectedHeader({ alg: "Ed25519", typ: "jwt" }).sign(KeyPair.create("account").privateKey)),
  },
  {
    name: "signature bytes flipped",
    code: "WACTOR_ERR_BAD_SIGNATURE",
    bytes: async () => {
      const { token } = await sign(unsigned());
      const [h, p, s] = token.split(".");
      const sig = Buffer.from(s!, "base64url");
      sig[0]! ^= 1;
      return withJwt(`${h}.${p}.${sig.toString("base64url")}`);
    },
  },
  {
    name: "code tampered after signing",
    code: "WACTOR_ERR_HASH_MISMATCH",
    bytes: async () => {
      const b = (await sign(unsigned())).bytes.slice();
      b[20]! ^= 0xff;
      return b;
    },
  },
  {
    name: "claims of another module",
    code: "WACTOR_ERR_HASH_MISMATCH",
    bytes: async () => {
      const { token } = await sign(stripJwtSections(new Uint8Array(readFileSync(actor("kvcounter").path))));
      return withJwt(token);
    },
  },
  { name: "expired", code: "WACTOR_ERR_TOKEN_EXPIRED", bytes: async () => (await sign(unsigned(), { expiresInSeconds: -60 })).bytes },
  { name: "not yet valid", code: "WACTOR_ERR_TOKEN_NOT_YET_VALID", bytes: async () => (await sign(unsigned(), { notBeforeSeconds: 3600 })).bytes },
  {
    name: "untrusted issuer",
    code: "WACTOR_ERR_UNTRUSTED_ISSUER",
    bytes: async () => (await sign(unsigned())).bytes,
    trustedIssuers: [KeyPair.create("account").publicKey],
  },
  { name: "valid claims on a module that is not a waPC actor", code: "WACTOR_ERR_UNSUPPORTED_MODULE", bytes: async () => (await sign(tinyModule())).bytes },
];

export interface ManifestCase {
  name: string;
  code: ErrorCode;
  /** YAML; `$ECHO` / `$PORT` / `$PORT2` are replaced by the echo actor's path and free ports. */
  yaml: string;
}

export const manifestCases: ManifestCase[] = [
  { name: "not YAML", code: "WACTOR_ERR_MANIFEST", yaml: "actors: [unclosed\n  - {" },
  { name: "alias to an unknown anchor (found by fuzzing)", code: "WACTOR_ERR_MANIFEST", yaml: "actors: [*nowhere]\n" },
  {
    name: "alias bomb",
    code: "WACTOR_ERR_MANIFEST",
    yaml: "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\nactors: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n",
  },
  { name: "actors is a map", code: "WACTOR_ERR_MANIFEST", yaml: "actors: { a: b }\n" },
  { name: "instances is a string", code: "WACTOR_ERR_MANIFEST", yaml: "actors:\n  - { path: $ECHO, instances: many }\n" },
  { name: "negative instances", code: "WACTOR_ERR_MANIFEST", yaml: "actors:\n  - { path: $ECHO, instances: -1 }\n" },
  { name: "unknown top-level key", code: "WACTOR_ERR_MANIFEST", yaml: "actor: [$ECHO]\n" },
  {
    name: "unknown binding key",
    code: "WACTOR_ERR_MANIFEST",
    yaml: "actors: [$ECHO]\nbindings:\n  - { actor: corpus, capability: wascc:http_server, valeus: { PORT: $PORT } }\n",
  },
  {
    name: "duplicate bindings",
    code: "WACTOR_ERR_MANIFEST",
    yaml: "actors: [$ECHO]\nbindings:\n  - { actor: echo, capability: wascc:http_server, values: { PORT: $PORT } }\n  - { actor: echo, capability: wascc:http_server, values: { PORT: $PORT2 } }\n",
  },
  { name: "trusted issuer not an account key", code: "WACTOR_ERR_MANIFEST", yaml: "trusted_issuers: [nonsense]\nactors: [$ECHO]\n" },
  { name: "missing actor file", code: "WACTOR_ERR_FILE_READ", yaml: "actors: [./does-not-exist.wasm]\n" },
  {
    name: "binding to an actor not in the manifest",
    code: "WACTOR_ERR_MANIFEST_REFERENCE",
    yaml: "actors: [$ECHO]\nbindings:\n  - { actor: ghost, capability: wascc:http_server, values: { PORT: $PORT } }\n",
  },
  { name: "unknown capability id", code: "WACTOR_ERR_MANIFEST_REFERENCE", yaml: "actors: [$ECHO]\ncapabilities: [ { id: acme:teleport } ]\n" },
  { name: "provider module that is not one", code: "WACTOR_ERR_PROVIDER_MODULE", yaml: "capabilities: [ { path: ./not-a-provider.mjs } ]\n" },
  {
    name: "port clash between two bindings",
    code: "WACTOR_ERR_PORT_IN_USE",
    yaml: "actors: [$ECHO]\nbindings:\n  - { actor: echo, capability: wascc:http_server, values: { PORT: $PORT } }\n  - { actor: echo, capability: wascc:http_server, binding: two, values: { PORT: $PORT } }\n",
  },
  {
    name: "PORT not a number",
    code: "WACTOR_ERR_BINDING_INVALID",
    yaml: "actors: [$ECHO]\nbindings:\n  - { actor: echo, capability: wascc:http_server, values: { PORT: eighty } }\n",
  },
  {
    name: "Redis URL nobody answers",
    code: "WACTOR_ERR_BINDING_FAILED",
    yaml: 'actors: [$KVCOUNTER]\nbindings:\n  - { actor: kvcounter, capability: wascc:keyvalue, values: { URL: "redis://127.0.0.1:$PORT" } }\n',
  },
  {
    name: "binding a capability the actor did not claim",
    code: "WACTOR_ERR_PERMISSION_DENIED",
    yaml: "actors: [$ECHO]\nbindings:\n  - { actor: echo, capability: wascc:keyvalue }\n",
  },
];

export interface PayloadCase {
  name: string;
  code: ErrorCode;
  operation: string;
  payload: () => Uint8Array;
}

function deeplyNested(depth: number): Uint8Array {
  // fixarray of one element, `depth` times, around a nil: built by hand, encoders refuse it.
  return Uint8Array.from([...new Array<number>(depth).fill(0x91), 0xc0]);
}

/** Calls on the key-value provider (the embedded store) with broken payloads. */
export const payloadCases: PayloadCase[] = [
  { name: "not MessagePack (reserved byte)", code: "WACTOR_ERR_BAD_PAYLOAD", operation: "Get", payload: () => Uint8Array.from([0xc1]) },
  { name: "truncated MessagePack", code: "WACTOR_ERR_BAD_PAYLOAD", operation: "Set", payload: () => encode({ key: "k", value: "v", expires: 0 }).slice(0, 5) },
  { name: "a number where the request map goes", code: "WACTOR_ERR_BAD_PAYLOAD", operation: "Get", payload: () => encode(42) },
  { name: "key of the wrong type", code: "WACTOR_ERR_BAD_PAYLOAD", operation: "Get", payload: () => encode({ key: 7 }) },
  { name: "nesting 100,000 deep", code: "WACTOR_ERR_BAD_PAYLOAD", operation: "Get", payload: () => deeplyNested(100_000) },
  { name: "unknown operation", code: "WACTOR_ERR_UNKNOWN_OPERATION", operation: "DropAllTables", payload: () => encode({ key: "k" }) },
];
