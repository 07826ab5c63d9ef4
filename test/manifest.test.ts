import { describe, expect, it } from "vitest";
import { resolve } from "node:path";
import { capabilityOfNativeLibrary, parseHostManifest } from "../src/deploy/host-manifest.js";
import { WactorError } from "../src/errors.js";

function errorOf(text: string): string {
  try {
    parseHostManifest(text, "host.yaml");
  } catch (err) {
    expect(err).toBeInstanceOf(WactorError);
    expect((err as WactorError).code).toBe("WACTOR_ERR_MANIFEST");
    return (err as WactorError).detail ?? "";
  }
  throw new Error("expected the manifest to be refused");
}

describe("host manifest", () => {
  it("accepts the extended form and resolves paths against the manifest", () => {
    const m = parseHostManifest(
      [
        "labels: { region: local }",
        "trusted_issuers: [AAGRUXXTGSP4C27RWPTMCHCJF56JD53EQPA2R7RPC5VI4E274KPRMMJ5]",
        "actors:",
        "  - ./a.wasm",
        "  - { path: ./b.wasm, instances: 4, deadline_ms: 5000, max_memory_mb: 32 }",
        "capabilities:",
        "  - { id: wascc:http_server }",
        "  - { id: wascc:keyvalue, binding: default }",
        "  - { path: ./my-provider.js, binding: custom }",
        "bindings:",
        "  - { actor: echo, capability: wascc:http_server, values: { PORT: 8080 } }",
        "  - { actor: echo, capability: wascc:keyvalue }",
      ].join("\n"),
      "/srv/app/host.yaml",
    );
    expect(m.labels).toEqual({ region: "local" });
    expect(m.actors).toEqual([{ path: "/srv/app/a.wasm" }, { path: "/srv/app/b.wasm", instances: 4, deadlineMs: 5000, maxMemoryBytes: 32 * 1024 * 1024 }]);
    expect(m.capabilities[2]).toEqual({ modulePath: resolve("/srv/app/my-provider.js"), binding: "custom" });
    // Values may be absent; numbers become strings.
    expect(m.bindings).toEqual([
      { actor: "echo", capability: "wascc:http_server", binding: "default", values: { PORT: "8080" } },
      { actor: "echo", capability: "wascc:keyvalue", binding: "default", values: {} },
    ]);
  });

  it("accepts a waSCC manifest naming native libraries, mapping them to built-in capabilities", () => {
    const m = parseHostManifest(
      "actors: [./kv.wasm]\ncapabilities:\n  - path: ./libwascc_httpsrv.so\n  - path: ./libredis_provider.so\n    binding_name: cache\n",
      "h.yaml",
    );
    expect(m.capabilities).toEqual([
      { id: "wascc:http_server", nativeLibrary: "./libwascc_httpsrv.so", binding: "default" },
      { id: "wascc:keyvalue", nativeLibrary: "./libredis_provider.so", binding: "cache" },
    ]);
    expect(capabilityOfNativeLibrary("libwascc_nats.so")).toBe("wascc:messaging");
    expect(capabilityOfNativeLibrary("libwascc_logging.so")).toBe("wascc:logging");
    expect(capabilityOfNativeLibrary("libredis_streams.so")).toBe("wascc:eventstreams");
    expect(capabilityOfNativeLibrary("libwascc_fs.so")).toBe("wascc:blobstore");
    expect(capabilityOfNativeLibrary("libwascc_s3.so")).toBe("wascc:blobstore");
    expect(capabilityOfNativeLibrary("libwascc_httpclient.so")).toBe("wascc:http_client");
    expect(capabilityOfNativeLibrary("libsomething.so")).toBeUndefined();
  });

  it("accepts an empty manifest", () => {
    expect(parseHostManifest("", "h.yaml").actors).toEqual([]);
  });

  it.each([
    ["YAML syntax error", "actors: [\n", /host\.yaml:\d+: YAML syntax/],
    ["duplicate keys", "actors: []\nactors: []\n", /host\.yaml:2: YAML syntax: Map keys must be unique/],
    ["unknown top-level key", "labels: {}\nactorz: []\n", /host\.yaml:2: actorz: unknown key 'actorz'/],
    ["unknown actor key", "actors:\n  - path: a.wasm\n    replicas: 2\n", /host\.yaml:3: actors\[0\]\.replicas: unknown key/],
    ["actors not a list", "actors: a.wasm\n", /host\.yaml:1: actors: .*expected array/],
    ["empty actor path", "actors: ['']\n", /actors\[0\]: must not be empty/],
    ["zero instances", "actors:\n  - { path: a.wasm, instances: 0 }\n", /host\.yaml:2: actors\[0\]\.instances: .*>=1/],
    ["fractional deadline", "actors:\n  - { path: a.wasm, deadline_ms: 1.5 }\n", /actors\[0\]\.deadline_ms: .*int/i],
    ["memory as text", "actors:\n  - { path: a.wasm, max_memory_mb: lots }\n", /actors\[0\]\.max_memory_mb: .*expected number/],
    ["capability without id or path", "capabilities:\n  - { binding: x }\n", /capabilities\[0\]: a capability needs an 'id' or a 'path'/],
    ["unknown capability key", "capabilities:\n  - { id: wascc:keyvalue, url: x }\n", /capabilities\[0\]\.url: unknown key/],
    ["binding without capability", "bindings:\n  - actor: echo\n", /host\.yaml:2: bindings\[0\]\.capability: required field is missing/],
    ["binding without actor", "bindings:\n  - capability: wascc:keyvalue\n", /bindings\[0\]\.actor: required field is missing/],
    ["values not a map", "bindings:\n  - { actor: a, capability: c, values: [1] }\n", /bindings\[0\]\.values: .*expected record/],
    ["nested value", "bindings:\n  - { actor: a, capability: c, values: { PORT: { n: 1 } } }\n", /bindings\[0\]\.values\.PORT/],
    [
      "bad trusted issuer",
      "trusted_issuers: [MASCXFM4R6X63UD5MSCDZYCJNPBVSIU6RKMXUPXRKAOSBQ6UY3VT3NPZ]\n",
      /trusted_issuers\[0\]: expected an account public key/,
    ],
    ["labels not a map", "labels: [a, b]\n", /labels: .*expected record/],
    ["top level not a map", "- a\n- b\n", /\(top level\): .*expected object/],
    [
      "duplicate binding",
      "bindings:\n  - { actor: a, capability: c }\n  - { actor: a, capability: c, binding: default }\n",
      /host\.yaml:3: bindings\[1\]: duplicate binding of a to c 'default'/,
    ],
  ])("refuses %s with a located message", (_name, text, pattern) => {
    expect(errorOf(text)).toMatch(pattern);
  });
});
