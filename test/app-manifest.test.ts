/** Application manifests: the accepted form, and located errors for the rest. Plus the command backoff. */
import { describe, expect, it } from "vitest";
import { parseAppManifest } from "../src/deploy/app-manifest.js";
import { CommandBackoff } from "../src/deploy/backoff.js";

const refused = (text: string): string => {
  try {
    parseAppManifest(text, "app.yaml");
  } catch (err) {
    expect((err as { code?: string }).code).toBe("WACTOR_ERR_MANIFEST");
    return (err as Error).message;
  }
  throw new Error("expected the manifest to be refused");
};

describe("application manifest", () => {
  it("accepts the documented form, resolving sources against the manifest", () => {
    const m = parseAppManifest(
      [
        "name: shop",
        "version: 1.2.0",
        "actors:",
        "  - { source: ./build/kv.wasm, replicas: 3, instances: 2, spread: [ { labels: { zone: a }, weight: 2 }, { labels: { zone: b } } ] }",
        "  - { ref: echo }",
        "providers:",
        "  - { capability: wascc:http_server, on: { role: edge } }",
        "links:",
        "  - { actor: kv, capability: wascc:keyvalue, values: { URL: redis://x, TTL: 5 } }",
      ].join("\n"),
      "/srv/apps/shop.yaml",
    );
    expect(m.actors).toEqual([
      {
        source: "/srv/apps/build/kv.wasm",
        replicas: 3,
        instances: 2,
        spread: [
          { labels: { zone: "a" }, weight: 2 },
          { labels: { zone: "b" }, weight: 1 },
        ],
      },
      { ref: "echo", replicas: 1, instances: 1, spread: [{ labels: {}, weight: 1 }] },
    ]);
    expect(m.providers).toEqual([{ capability: "wascc:http_server", on: { role: "edge" } }]);
    expect(m.links).toEqual([{ actor: "kv", capability: "wascc:keyvalue", binding: "default", values: { URL: "redis://x", TTL: "5" } }]);
  });

  it("locates what is wrong", () => {
    expect(refused("version: 1\nactors: [ { ref: x } ]\n")).toContain("app.yaml:1: name: required field is missing");
    expect(refused("name: a b\nversion: 1\nactors: [ { ref: x } ]\n")).toContain("name: letters, digits");
    expect(refused("name: a\nversion: 1\nactors: []\n")).toContain("app.yaml:3: actors: an application needs at least one actor");
    expect(refused("name: a\nversion: 1\nactors:\n  - { ref: x, source: y }\n")).toContain("exactly one of 'source'");
    expect(refused("name: a\nversion: 1\nactors:\n  - { ref: x, replica: 2 }\n")).toContain("app.yaml:4: actors[0].replica: unknown key 'replica'");
    expect(refused("name: a\nversion: 1\nactors:\n  - { ref: x, replicas: -1 }\n")).toContain("actors[0].replicas");
    expect(refused("name: a\nversion: 1\nactors: [ { ref: x } ]\nlinks:\n  - { actor: x, capability: c }\n  - { actor: x, capability: c }\n")).toContain(
      "app.yaml:6: links[1]: duplicate link",
    );
  });
});

describe("command backoff", () => {
  it("doubles from 1 s to a cap, reports the reason, and forgets on success", () => {
    const b = new CommandBackoff(1000, 4000);
    b.failed("k", "WACTOR_ERR_TRAP", 0);
    expect(b.heldBack("k", "start echo", 500)).toBe("start echo failed 1 time(s): WACTOR_ERR_TRAP; next try in 1 s");
    expect(b.heldBack("k", "start echo", 1000)).toBeUndefined();
    b.failed("k", "again", 1000);
    b.failed("k", "again", 1000);
    b.failed("k", "again", 1000);
    expect(b.heldBack("k", "x", 4999)).toContain("failed 4 time(s)");
    expect(b.heldBack("k", "x", 5000)).toBeUndefined(); // capped at 4 s, not 8
    b.succeeded("k");
    b.failed("k", "fresh", 10_000);
    expect(b.heldBack("k", "x", 10_500)).toContain("failed 1 time(s)");
  });
});
