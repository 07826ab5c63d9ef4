/**
 * Binding health that can be false: `wactor_binding_up` and the ready summary report a
 * binding down when its provider no longer holds it or its provider is gone, not only when
 * a provider says "failed".
 */
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readySummary } from "../src/cli/up.js";
import { bindingHealth } from "../src/host/binding-health.js";
import { Host } from "../src/host/host.js";
import { HostMetrics } from "../src/host/metrics.js";
import { actor } from "./helpers/actors.js";
import { SpyProvider } from "./helpers/spy-provider.js";

const CAP = "wascc:keyvalue";

describe("binding health", () => {
  const host = new Host({ logger: pino({ level: "silent" }), actorDefaults: { instances: 1 } });
  const spy = new SpyProvider(CAP);
  const metrics = new HostMetrics(host);
  let key = "";
  const gauge = async (): Promise<string | undefined> => (await metrics.text()).split("\n").find((l) => l.startsWith("wactor_binding_up{"));

  beforeAll(async () => {
    await host.addProvider(spy);
    key = (await host.startActor(actor("kvcounter").signedPath)).key;
    await host.bind(key, CAP, "default");
  });
  afterAll(() => host.shutdown());

  it("is up while the provider holds the binding", async () => {
    expect(await gauge()).toMatch(/ 1$/);
    expect(readySummary("m.yaml", { host, actors: [] })).toMatch(/binding {2}kvcounter -> wascc:keyvalue \(default\) +\[ok\]/);
  });

  it("is down, with the reason, when the provider no longer holds it", async () => {
    spy.bound.clear();
    try {
      expect(await gauge()).toMatch(/ 0$/);
      expect(readySummary("m.yaml", { host, actors: [] })).toContain("[missing: provider spy holds no binding 'default' for this actor]");
    } finally {
      await host.bind(key, CAP, "default");
    }
  });

  it("is down when no provider of the capability runs", () => {
    expect(bindingHealth(undefined, { actorKey: key, capabilityId: CAP, binding: "default" })).toEqual({
      up: false,
      state: "missing",
      reason: `no provider for ${CAP} runs on this host`,
    });
    expect(
      bindingHealth({ ...spy, name: "x", bindingStatus: () => ({ state: "failed", reason: "refused" }) } as unknown as SpyProvider, {
        actorKey: key,
        capabilityId: CAP,
        binding: "default",
      }),
    ).toEqual({ up: false, state: "failed", reason: "refused" });
  });
});
