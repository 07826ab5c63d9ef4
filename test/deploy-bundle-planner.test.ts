/**
 * Bundles in the planner (src/deploy/bundle-planner.ts, pure): a bundle's functions are
 * desired actors started from the sealed archive (start_actor carries its digest), its routes
 * go to every host matching `edge`, routes the application placed and no longer wants stop,
 * routes started by hand stay; and the manifest's `bundles:` entry.
 */
import { describe, expect, it } from "vitest";
import { parseAppManifest } from "../src/deploy/app-manifest.js";
import type { DesiredApp, ObservedHost } from "../src/deploy/app-types.js";
import { plan } from "../src/deploy/planner.js";

const FN = "MAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
const OWNER = { app: "shop", version: "1" };
const BUNDLE = { identifier: "com.example.greeter", appVersion: "v0.1.0", digest: "B1", edge: { role: "edge" }, port: 8080 };
const app = (over: Partial<DesiredApp> = {}): DesiredApp => ({
  name: "shop",
  version: "1",
  deployedAt: "2026-12-04T00:00:00.000Z",
  undeployed: false,
  actors: [{ key: FN, name: "default::greet", digest: "D1", replicas: 1, instances: 1, spread: [{ labels: { role: "worker" }, weight: 1 }], bundle: "B1" }],
  providers: [],
  links: [],
  bundles: [BUNDLE],
  owned: [FN],
  ...over,
});
const host = (id: string, role: string, over: Partial<ObservedHost> = {}): ObservedHost => ({
  id,
  labels: { role },
  providers: [],
  providerApps: {},
  actors: [],
  actorApps: {},
  bundles: [],
  ...over,
});
const fn = { key: FN, instances: 1, state: "running" as const, digest: "D1" };
const run = (apps: DesiredApp[], hosts: ObservedHost[]) =>
  plan({ apps, hosts, links: [], heldBack: () => undefined, reconciler: "NLEADER", now: new Date("2026-12-04T00:00:01Z") });

describe("bundles in the planner", () => {
  it("places the functions on a worker from the sealed bundle and the routes on every edge host", () => {
    const { commands, statuses } = run([app()], [host("NW", "worker"), host("NE1", "edge"), host("NE2", "edge")]);
    expect(commands).toEqual([
      { kind: "start_actor", hostId: "NW", actorKey: FN, ref: "D1", instances: 1, owner: OWNER, bundle: "B1" },
      { kind: "start_bundle", hostId: "NE1", digest: "B1", identifier: "com.example.greeter", port: 8080, schedules: true, owner: OWNER },
      { kind: "start_bundle", hostId: "NE2", digest: "B1", identifier: "com.example.greeter", port: 8080, schedules: false, owner: OWNER },
    ]);
    expect(statuses[0]!.pending).toContain("serve com.example.greeter routes on NE1…");
  });

  it("is deployed once the functions run and every edge serves the routes; a new worker gets nothing", () => {
    const hosts = [
      host("NW", "worker", { actors: [fn], actorApps: { [FN]: OWNER } }),
      host("NW2", "worker"),
      host("NE", "edge", { bundles: [{ digest: "B1", owner: OWNER, schedules: true }] }),
    ];
    const { commands, statuses } = run([app()], hosts);
    expect(commands).toEqual([]);
    expect(statuses[0]).toMatchObject({
      phase: "deployed",
      bundles: [{ identifier: "com.example.greeter", digest: "B1", edges: ["NE"], scheduler: "NE", problems: [] }],
    });
  });

  it("heals: the functions of a worker that is gone start on the one left", () => {
    const { commands } = run([app()], [host("NW2", "worker"), host("NE", "edge", { bundles: [{ digest: "B1", owner: OWNER, schedules: true }] })]);
    expect(commands).toEqual([{ kind: "start_actor", hostId: "NW2", actorKey: FN, ref: "D1", instances: 1, owner: OWNER, bundle: "B1" }]);
  });

  it("stops routes it placed and no longer wants (another version, undeploy), never routes started by hand", () => {
    const hosts = [
      host("NE", "edge", {
        bundles: [
          { digest: "B0", owner: { app: "shop", version: "0" } },
          { digest: "BH" }, // by hand
        ],
      }),
    ];
    expect(run([app()], hosts).commands.filter((c) => c.kind.endsWith("_bundle"))).toEqual([
      { kind: "start_bundle", hostId: "NE", digest: "B1", identifier: "com.example.greeter", port: 8080, schedules: true, owner: OWNER },
      { kind: "stop_bundle", hostId: "NE", digest: "B0", identifier: "B0" },
    ]);
    const undeploying = run([app({ undeployed: true })], [host("NE", "edge", { bundles: [{ digest: "B1", owner: OWNER }] })]);
    expect(undeploying.commands).toEqual([{ kind: "stop_bundle", hostId: "NE", digest: "B1", identifier: "com.example.greeter" }]);
    expect(undeploying.statuses[0]!.phase).toBe("undeploying");
    expect(run([app({ undeployed: true })], [host("NE", "edge")]).statuses[0]!.phase).toBe("undeployed");
  });

  it("a new version: the old version's functions stop only once no edge serves the old routes", () => {
    const OLD = "MOLDAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    const v0 = { app: "shop", version: "0" };
    const worker = (extra: ObservedHost["actors"]) => host("NW", "worker", { actors: [fn, ...extra], actorApps: { [FN]: OWNER, [OLD]: v0 } });
    const old = { key: OLD, instances: 1, state: "running" as const, digest: "D0" };
    const switching = run([app()], [worker([old]), host("NE", "edge", { bundles: [{ digest: "B0", owner: v0, schedules: true }] })]);
    expect(switching.commands.map((c) => c.kind)).toEqual(["start_bundle", "stop_bundle"]);
    const switched = run([app()], [worker([old]), host("NE", "edge", { bundles: [{ digest: "B1", owner: OWNER, schedules: true }] })]);
    expect(switched.commands).toEqual([{ kind: "stop_actor", hostId: "NW", actorKey: OLD }]);
  });

  it("runs the schedules on one edge host: the one running them stays, and when it goes the next takes them", () => {
    const serving = (schedules: boolean) => ({ bundles: [{ digest: "B1", owner: OWNER, schedules }] });
    const worker = host("NW", "worker", { actors: [fn], actorApps: { [FN]: OWNER } });
    // NE2 runs them (NE1 joined later with a lower id): nothing moves.
    expect(run([app()], [worker, host("NE1", "edge", serving(false)), host("NE2", "edge", serving(true))]).commands).toEqual([]);
    // NE2 is gone: NE1 is asked to run them, its routes untouched.
    const { commands, statuses } = run([app()], [worker, host("NE1", "edge", serving(false))]);
    expect(commands).toEqual([
      { kind: "start_bundle", hostId: "NE1", digest: "B1", identifier: "com.example.greeter", port: 8080, schedules: true, owner: OWNER },
    ]);
    expect(statuses[0]!.bundles![0]!.scheduler).toBe("NE1");
    // Two running them (after a partition): the first by id keeps them.
    expect(run([app()], [worker, host("NE1", "edge", serving(true)), host("NE2", "edge", serving(true))]).commands).toEqual([
      { kind: "start_bundle", hostId: "NE2", digest: "B1", identifier: "com.example.greeter", port: 8080, schedules: false, owner: OWNER },
    ]);
  });

  it("says when no host can serve the routes", () => {
    const { statuses } = run([app()], [host("NW", "worker", { actors: [fn], actorApps: { [FN]: OWNER } })]);
    expect(statuses[0]!.phase).toBe("failed");
    expect(statuses[0]!.problems).toEqual(["bundle com.example.greeter: no host matches role=edge to serve its routes"]);
  });

  it("reads a manifest's bundles (no actors needed), and refuses one with neither", () => {
    const m = parseAppManifest(
      "name: shop\nversion: 1\nbundles:\n  - { source: ./g.wasm.zip, workers: { role: worker }, edge: { role: edge }, port: 8080, replicas: 2, cache_url: redis://r }\n",
      "/srv/apps/shop.yaml",
    );
    expect(m.actors).toEqual([]);
    expect(m.bundles).toEqual([
      {
        source: "/srv/apps/g.wasm.zip",
        replicas: 2,
        instances: 1,
        workers: { role: "worker" },
        edge: { role: "edge" },
        port: 8080,
        listen: undefined,
        capabilities: { cacheUrl: "redis://r", allowedHosts: [] },
      },
    ]);
    expect(() => parseAppManifest("name: shop\nversion: 1\n", "app.yaml")).toThrow(
      "app.yaml:1: an application needs at least one actor (actors:) or bundle (bundles:)",
    );
    expect(() => parseAppManifest("name: shop\nversion: 1\nbundles:\n  - { source: ./g.wasm.zip }\n", "app.yaml")).toThrow(/port/);
  });
});
