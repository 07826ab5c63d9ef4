import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { actor } from "./helpers/actors.js";
import { Redis } from "ioredis";
import { wactor } from "./helpers/cli.js";
import { startRedis } from "./helpers/servers.js";

const dir = mkdtempSync(join(tmpdir(), "wactor-call-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("wactor call on every example actor", () => {
  it.each([
    ["echo", ["HandleRequest", "--data", '{"path":"/e"}'], 0, '"path": "/e"'],
    ["kvcounter", ["HandleRequest", "--data", '{"path":"/k"}'], 0, '"statusCode": 500'], // no binding: the actor reports the denial
    ["ponger", ["Ping", "--raw", "p"], 0, "pong:p"],
    ["pinger", ["HandleRequest", "--data", '{"path":"/"}'], 0, '"statusCode": 502'], // its target is not running
    ["subscriber", ["DeliverMessage", "--data", '{"subject":"a.b","body":"x"}'], 1, "WACTOR_ERR_GUEST_ERROR"], // key-value not bound
    ["multibinding", ["HandleRequest", "--data", '{"path":"/m"}'], 0, '"statusCode": 500'],
    ["sneaky", ["HandleRequest"], 0, "Permission denied"],
    ["dice", ["HandleRequest"], 0, '"statusCode": 200'], // extras is bound by the host, as in waSCC
    ["panicker", ["Panic"], 1, "WACTOR_ERR_TRAP"],
    ["looper", ["Loop", "--deadline-ms", "300"], 1, "WACTOR_ERR_DEADLINE"],
    ["hog", ["Hog"], 1, "WACTOR_ERR_MEMORY_LIMIT"],
    ["blobber", ["Status"], 0, '"chunks": 0'],
    ["eventwriter", ["Write", "--data", '{"stream":"s","n":"1"}'], 1, "WACTOR_ERR_GUEST_ERROR"], // eventstreams not bound
    ["eventreader", ["DeliverEvent", "--data", '{"eventId":"1-0","stream":"s","values":{"n":"1"}}'], 1, "WACTOR_ERR_GUEST_ERROR"], // key-value not bound
  ] as const)("%s", (name, args, status, text) => {
    const result = wactor(["call", actor(name).signedPath, ...args]);
    expect(result.status).toBe(status);
    expect(result.stdout + result.stderr).toContain(text);
  });

  it.each([
    ["kvcounter", "HandleRequest", { path: "/k" }, "  - { actor: kvcounter, capability: wascc:keyvalue }", { statusCode: 200, body: { counter: 1 } }],
    [
      "multibinding",
      "HandleRequest",
      { path: "/m" },
      "  - { actor: multibinding, capability: wascc:keyvalue, binding: source1 }\n  - { actor: multibinding, capability: wascc:keyvalue, binding: source2 }",
      { statusCode: 200, body: { source1: 1, source2: 10 } },
    ],
    ["dice", "HandleRequest", {}, "  - { actor: dice, capability: wascc:extras }", { statusCode: 200, body: { seq: 0 } }],
    [
      "blobber",
      "Upload",
      { container: "cli", id: "x", size: 10, chunkSize: 4, seed: 1 },
      `  - { actor: blobber, capability: wascc:blobstore, values: { ROOT: "${dir}" } }`,
      {},
    ],
  ] as const)("%s works once its bindings come from a manifest", (name, operation, data, bindings, expected) => {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, `actors: [${actor(name).signedPath}]\nbindings:\n${bindings}\n`);
    const result = wactor(["call", name, operation, "--data", JSON.stringify(data), "--manifest", file]);
    expect(result.stderr).not.toContain("error[");
    expect(result.status).toBe(0);
    if (expected) expect(JSON.parse(result.stdout)).toMatchObject(expected);
  });

  it("refuses --lattice together with --manifest instead of ignoring one", () => {
    const result = wactor(["call", "echo", "HandleRequest", "--lattice", "nats://127.0.0.1:1", "--cluster-seed", "SC", "--manifest", join(dir, "none.yaml")]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("WACTOR_ERR_BAD_ARGUMENT");
  });

  it("subscriber, given a message, logs it and stores it in its key-value binding (a real Redis)", async () => {
    const redis = await startRedis();
    try {
      const file = join(dir, "subscriber.yaml");
      const bindings = `  - { actor: subscriber, capability: wascc:keyvalue, values: { URL: "${redis.url}", KEY_PREFIX: "sub:" } }\n  - { actor: subscriber, capability: wascc:logging }`;
      writeFileSync(file, `actors: [${actor("subscriber").signedPath}]\nbindings:\n${bindings}\n`);
      const result = wactor([
        "call",
        "subscriber",
        "DeliverMessage",
        "--log-level",
        "info",
        "--data",
        JSON.stringify({ subject: "orders.new", body: "x-42" }),
        "--manifest",
        file,
      ]);
      expect(result.stderr).not.toContain("error[");
      expect(result.status).toBe(0);
      expect(JSON.parse(result.stdout)).toBeNull(); // DeliverMessage answers with an empty reply
      expect(result.stderr).toContain('"msg":"received on orders.new: x-42"');
      const client = new Redis(redis.url);
      try {
        expect(await client.get("sub:last:orders.new")).toBe("x-42");
      } finally {
        client.disconnect();
      }
    } finally {
      await redis.stop();
    }
  });

  it("pinger reaches ponger when both run from one manifest", () => {
    const file = join(dir, "ping.yaml");
    writeFileSync(file, `actors: [${actor("pinger").signedPath}, ${actor("ponger").signedPath}]\n`);
    const result = wactor([
      "call",
      "pinger",
      "HandleRequest",
      "--data",
      JSON.stringify({ queryString: `target=${actor("ponger").publicKey}`, body: "hi" }),
      "--manifest",
      file,
    ]);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ statusCode: 200, body: "pong:hi" });
  });
});

describe("wactor up refuses malformed manifests (real binary)", () => {
  it.each([
    ["actors: [\n", /bad\.yaml:\d+: YAML syntax/],
    ["actors: []\nactors: []\n", /Map keys must be unique/],
    ["labels: {}\nactorz: []\n", /bad\.yaml:2: actorz: unknown key 'actorz'/],
    ["actors:\n  - path: a.wasm\n    replicas: 2\n", /bad\.yaml:3: actors\[0\]\.replicas: unknown key/],
    ["actors: a.wasm\n", /bad\.yaml:1: actors: .*expected array/],
    ["actors: ['']\n", /actors\[0\]: must not be empty/],
    ["actors:\n  - { path: a.wasm, instances: 0 }\n", /bad\.yaml:2: actors\[0\]\.instances/],
    ["actors:\n  - { path: a.wasm, deadline_ms: 1.5 }\n", /actors\[0\]\.deadline_ms/],
    ["actors:\n  - { path: a.wasm, max_memory_mb: lots }\n", /actors\[0\]\.max_memory_mb: .*expected number/],
    ["capabilities:\n  - { binding: x }\n", /capabilities\[0\]: a capability needs an 'id' or a 'path'/],
    ["capabilities:\n  - { id: wascc:keyvalue, url: x }\n", /capabilities\[0\]\.url: unknown key/],
    ["bindings:\n  - actor: echo\n", /bindings\[0\]\.capability: required field is missing/],
    ["bindings:\n  - capability: wascc:keyvalue\n", /bindings\[0\]\.actor: required field is missing/],
    ["bindings:\n  - { actor: a, capability: c, values: [1] }\n", /bindings\[0\]\.values: .*expected record/],
    ["trusted_issuers: [MASCXFM4R6X63UD5MSCDZYCJNPBVSIU6RKMXUPXRKAOSBQ6UY3VT3NPZ]\n", /trusted_issuers\[0\]: expected an account public key/],
    ["labels: [a, b]\n", /labels: .*expected record/],
    ["actors: [./missing.wasm]\n", /WACTOR_ERR_FILE_READ.*missing\.wasm/],
    ["actors: []\nbindings:\n  - { actor: nobody, capability: wascc:keyvalue }\n", /WACTOR_ERR_MANIFEST_REFERENCE.*nobody/],
    ["capabilities:\n  - { id: wascc:teleport }\n", /WACTOR_ERR_(MANIFEST_REFERENCE|NO_PROVIDER).*teleport/],
  ])("%#: %s", (text, pattern) => {
    const file = join(dir, "bad.yaml");
    writeFileSync(file, text);
    const result = wactor(["up", file, "--log-level", "silent"]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(pattern);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
