/**
 * A provider module of the user's own, named by a host manifest (`capabilities: - { path:
 * ./my-provider.js }`): plain ESM whose default export returns a CapabilityProvider. The
 * manifest is applied for real and an actor bound to the provider calls it.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import { applyHostManifest, type RunningManifest } from "../src/deploy/apply-host-manifest.js";
import { loadHostManifest } from "../src/deploy/host-manifest.js";
import { signedRawGuest } from "./helpers/raw-guest.js";

const CAPABILITY = "acme:greeter";

// What a user would write: no TypeScript, no import from wactor. It answers with the values
// its bind() was given, so a reply proves both the binding and the call reached it.
const PROVIDER_SOURCE = `
export default () => {
  const bound = new Map();
  const id = (actorKey, binding) => actorKey + "/" + binding;
  return {
    capabilityId: "${CAPABILITY}",
    name: "greeter",
    async start() {},
    async stop() { bound.clear(); },
    async bind(actor, binding, values) {
      if (!values.GREETING) throw new Error("GREETING is required");
      bound.set(id(actor.key, binding), { greeting: values.GREETING, actorName: actor.name });
    },
    async unbind(actorKey, binding) { bound.delete(id(actorKey, binding)); },
    bindingStatus(actorKey, binding) { return bound.has(id(actorKey, binding)) ? { state: "ok" } : undefined; },
    async handleCall(call) {
      const config = bound.get(id(call.actor.key, call.binding));
      const who = new TextDecoder().decode(call.payload);
      return new TextEncoder().encode(config.greeting + ", " + who + " [" + call.operation + " via '" + call.binding + "' for " + config.actorName + "]");
    },
  };
};
`;

const enc = (text: string) => new TextEncoder().encode(text);
const dec = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe("host manifest with a user-supplied provider module", () => {
  const dir = mkdtempSync(join(tmpdir(), "wactor-provider-"));
  let running: RunningManifest;
  let actorKey: string;

  beforeAll(async () => {
    writeFileSync(join(dir, "my-provider.js"), PROVIDER_SOURCE);
    const client = await signedRawGuest({ caps: [CAPABILITY], name: "greeter-client" });
    actorKey = client.key;
    writeFileSync(join(dir, "client.wasm"), client.bytes);
    const manifest = join(dir, "host.yaml");
    writeFileSync(
      manifest,
      [
        "actors: [ { path: ./client.wasm, instances: 1 } ]",
        "capabilities:",
        "  - { path: ./my-provider.js, binding: custom }",
        "bindings:",
        `  - { actor: greeter-client, capability: ${CAPABILITY}, binding: custom, values: { GREETING: Hello } }`,
        // A name the capability entry does not list: served all the same (see README, Manifests).
        `  - { actor: greeter-client, capability: ${CAPABILITY}, values: { GREETING: Bonjour } }`,
      ].join("\n"),
    );
    running = await applyHostManifest(await loadHostManifest(manifest), { logger: pino({ level: "silent" }) });
  });
  afterAll(async () => {
    await running?.host.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  it("loads the module as the provider of its capability and binds the actor through it", () => {
    const provider = running.host.provider(CAPABILITY);
    expect(provider?.name).toBe("greeter");
    expect(running.actors.map((a) => a.key)).toEqual([actorKey]);
    // bindingStatus is the module's own answer: "ok" only for what its bind() recorded.
    expect(provider?.bindingStatus(actorKey, "custom")).toEqual({ state: "ok" });
    expect(provider?.bindingStatus(actorKey, "default")).toEqual({ state: "ok" });
    expect(provider?.bindingStatus(actorKey, "other")).toBeUndefined();
  });

  it("the bound actor calls the provider under each binding and gets that binding's values back", async () => {
    const custom = await running.host.invoke(actorKey, "HostCall", enc(`custom|${CAPABILITY}|Greet|bob`));
    expect(dec(custom)).toBe("Hello, bob [Greet via 'custom' for greeter-client]");
    // "" is the default binding (the AssemblyScript SDK's spelling).
    const byDefault = await running.host.invoke(actorKey, "HostCall", enc(`|${CAPABILITY}|Greet|ann`));
    expect(dec(byDefault)).toBe("Bonjour, ann [Greet via 'default' for greeter-client]");
  });

  it("a binding name the manifest did not bind is denied before it reaches the module", async () => {
    const failure = running.host.invoke(actorKey, "HostCall", enc(`other|${CAPABILITY}|Greet|eve`));
    await expect(failure).rejects.toMatchObject({ code: "WACTOR_ERR_GUEST_ERROR", message: expect.stringContaining("no binding 'other'") });
  });
});

describe("a capability entry's binding name (waSCC binding_name)", () => {
  it("changes nothing: a library listed twice under two names starts one provider serving both", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wactor-binding-name-"));
    const guest = await signedRawGuest({ caps: ["wascc:keyvalue"], name: "two-stores" });
    writeFileSync(join(dir, "kv.wasm"), guest.bytes);
    const manifest = join(dir, "host.yaml");
    writeFileSync(
      manifest,
      [
        "actors: [ { path: ./kv.wasm, instances: 1 } ]",
        "capabilities:",
        "  - { path: ./libkeyvalue.so, binding_name: source1 }",
        "  - { path: ./libkeyvalue.so, binding_name: source2 }",
        "bindings:",
        "  - { actor: two-stores, capability: wascc:keyvalue, binding: source1 }",
        "  - { actor: two-stores, capability: wascc:keyvalue, binding: source2 }",
        "  - { actor: two-stores, capability: wascc:keyvalue, binding: unlisted }",
      ].join("\n"),
    );
    // Two providers of one capability would be refused by the host (WACTOR_ERR_BAD_ARGUMENT).
    const { host } = await applyHostManifest(await loadHostManifest(manifest), { logger: pino({ level: "silent" }) });
    try {
      expect(host.providerIds()).toEqual(["wascc:keyvalue"]);
      const provider = host.provider("wascc:keyvalue");
      expect(["source1", "source2", "unlisted"].map((b) => provider?.bindingStatus(guest.key, b)?.state)).toEqual(["ok", "ok", "ok"]);
    } finally {
      await host.shutdown();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
