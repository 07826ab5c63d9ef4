/** The reconciler's planner (pure): desired + observed -> commands and a status that says why they differ. */
import { describe, expect, it } from "vitest";
import type { DesiredApp, ObservedHost } from "../src/deploy/app-types.js";
import { apportion, plan, type PlanInput } from "../src/deploy/planner.js";
import type { Link } from "../src/lattice/state/link-store.js";

const KEY = "MAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
const OLD = "MBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";

const app = (over: Partial<DesiredApp> = {}): DesiredApp => ({
  name: "shop",
  version: "1",
  deployedAt: "2026-11-25T00:00:00.000Z",
  undeployed: false,
  actors: [{ key: KEY, name: "echo", digest: "D1", replicas: 2, instances: 2, spread: [{ labels: {}, weight: 1 }] }],
  providers: [{ capability: "wascc:http_server", on: { role: "edge" } }],
  links: [{ actorKey: KEY, capabilityId: "wascc:http_server", binding: "default", values: { PORT: "8080" } }],
  owned: [KEY],
  ...over,
});

const OWNER = { app: "shop", version: "1" };
/** A host that records which application placed each actor (`owners`), or, without it, one of an earlier version that records none. */
const host = (
  id: string,
  labels: Record<string, string> = {},
  actors: ObservedHost["actors"] = [],
  providers: string[] = [],
  providerApps: Record<string, string[]> = {},
  owners?: ObservedHost["actorApps"],
): ObservedHost => ({
  id,
  labels,
  providers,
  providerApps,
  actors,
  actorApps: owners,
});
/** The edge host running the HTTP provider the application had started there. */
const edge = (actors: ObservedHost["actors"] = [running()], apps = ["shop"]) =>
  host("NA", { role: "edge" }, actors, ["wascc:http_server"], { "wascc:http_server": apps });
const running = (digest = "D1", instances = 2, key = KEY) => ({ key, instances, state: "running" as const, digest });
const wantedLink = { actorKey: KEY, capabilityId: "wascc:http_server", binding: "default", values: { PORT: "8080" } };
/** The application's link as stored by its reconciler. */
const link: Link = { ...wantedLink, owner: OWNER };

function run(input: Partial<PlanInput>) {
  return plan({ apps: [app()], hosts: [], links: [], heldBack: () => undefined, reconciler: "NLEADER", now: new Date("2026-11-25T00:00:01Z"), ...input });
}

describe("planner", () => {
  it("apportions replicas by weight (largest remainder)", () => {
    expect(apportion(2, [1, 1])).toEqual([1, 1]);
    expect(apportion(3, [1, 2])).toEqual([1, 2]);
    expect(apportion(5, [1, 1, 1])).toEqual([2, 2, 1]);
    expect(apportion(0, [3])).toEqual([0]);
  });

  it("a fresh deploy: replicas on the least loaded hosts, the provider where labels say, the link", () => {
    const hosts = [host("NA", { role: "edge" }), host("NB", {}, [running("X", 1, OLD)]), host("NC")];
    const { commands, statuses } = run({ hosts });
    expect(commands).toEqual([
      { kind: "start_actor", hostId: "NA", actorKey: KEY, ref: "D1", instances: 2, owner: OWNER },
      { kind: "start_actor", hostId: "NC", actorKey: KEY, ref: "D1", instances: 2, owner: OWNER },
      { kind: "start_provider", hostId: "NA", capabilityId: "wascc:http_server", app: "shop" },
      { kind: "put_link", link: wantedLink, owner: OWNER },
    ]);
    expect(statuses[0]).toMatchObject({ phase: "reconciling", deployedAt: "2026-11-25T00:00:00.000Z" });
    expect(statuses[0]!.pending).toContain("start echo on NC…");
  });

  it("is deployed when everything matches, and says nothing is pending", () => {
    const hosts = [host("NA", { role: "edge" }, [running()], ["wascc:http_server"]), host("NB", {}, [running()])];
    const { commands, statuses } = run({ hosts, links: [link] });
    expect(commands).toEqual([]);
    expect(statuses[0]).toMatchObject({ phase: "deployed", problems: [], pending: [] });
  });

  it("replaces a replica whose host is gone", () => {
    const hosts = [host("NA", { role: "edge" }, [running()], ["wascc:http_server"]), host("NC")];
    expect(run({ hosts, links: [link] }).commands).toEqual([{ kind: "start_actor", hostId: "NC", actorKey: KEY, ref: "D1", instances: 2, owner: OWNER }]);
  });

  it("rolls a new version out one host at a time, only while every replica serves", () => {
    const hosts = [host("NA", { role: "edge" }, [running("D0")], ["wascc:http_server"]), host("NB", {}, [running("D0")])];
    expect(run({ hosts, links: [link] }).commands).toEqual([{ kind: "update_actor", hostId: "NA", actorKey: KEY, ref: "D1", owner: OWNER }]);
    const mid = [host("NA", { role: "edge" }, [{ ...running("D0"), state: "updating" }], ["wascc:http_server"]), host("NB", {}, [running("D0")])];
    expect(run({ hosts: mid, links: [link] }).commands).toEqual([]);
  });

  it("scales and stops surplus replicas", () => {
    const hosts = [host("NA", { role: "edge" }, [running("D1", 1)], ["wascc:http_server"]), host("NB", {}, [running()]), host("NC", {}, [running()])];
    expect(run({ hosts, links: [link] }).commands).toEqual([
      { kind: "scale_actor", hostId: "NA", actorKey: KEY, instances: 2, owner: OWNER },
      { kind: "stop_actor", hostId: "NC", actorKey: KEY },
    ]);
  });

  it("backs off a failing start, tries another host, and reports why", () => {
    const hosts = [host("NA", { role: "edge" }, [running()], ["wascc:http_server"]), host("NB"), host("NC")];
    const heldBack = (key: string) => (key === `start_actor:NB:${KEY}` ? "start echo on NB failed 3 time(s): WACTOR_ERR_TRAP; next try in 4 s" : undefined);
    expect(run({ hosts, links: [link], heldBack }).commands).toEqual([
      { kind: "start_actor", hostId: "NC", actorKey: KEY, ref: "D1", instances: 2, owner: OWNER },
    ]);
    const { commands, statuses } = run({ hosts: hosts.slice(0, 2), links: [link], heldBack });
    expect(commands).toEqual([]);
    expect(statuses[0]!.phase).toBe("failed");
    expect(statuses[0]!.problems.join(" ")).toContain("1 more replica(s) wanted");
    expect(statuses[0]!.problems.join(" ")).toContain("WACTOR_ERR_TRAP; next try in 4 s");
  });

  it("fails with a reason when the spread cannot be met", () => {
    const spread = [{ labels: { zone: "b" }, weight: 1 }];
    const { statuses } = run({
      apps: [app({ actors: [{ ...app().actors[0]!, replicas: 1, spread }] })],
      hosts: [host("NA", { role: "edge" }, [], ["wascc:http_server"])],
      links: [link],
    });
    expect(statuses[0]).toMatchObject({ phase: "failed" });
    expect(statuses[0]!.problems).toEqual(["echo: 1 more replica(s) wanted on hosts matching zone=b, and no free host matches"]);
  });

  it("a zone that lost its host borrows one from the other zone, and the spread comes back with the host", () => {
    const spread = [
      { labels: { zone: "a" }, weight: 1 },
      { labels: { zone: "b" }, weight: 1 },
    ];
    const zoned = app({ actors: [{ ...app().actors[0]!, spread }], providers: [] });
    const b1 = host("NB1", { zone: "b" }, [running()]);
    // Zone a is gone: its replica goes to the other zone, and the status says why.
    const lost = run({ apps: [zoned], hosts: [b1, host("NB2", { zone: "b" })], links: [link] });
    expect(lost.commands).toEqual([{ kind: "start_actor", hostId: "NB2", actorKey: KEY, ref: "D1", instances: 2, owner: OWNER }]);
    const borrowed = run({ apps: [zoned], hosts: [b1, host("NB2", { zone: "b" }, [running()])], links: [link] });
    expect(borrowed.commands).toEqual([]);
    expect(borrowed.statuses[0]).toMatchObject({ phase: "deployed", notes: [expect.stringContaining("spread not met (too few hosts matching zone=a)")] });
    // Zone a returns: start there first; the borrowed replica stops only after.
    const back = run({ apps: [zoned], hosts: [host("NA1", { zone: "a" }), b1, host("NB2", { zone: "b" }, [running()])], links: [link] });
    expect(back.commands).toEqual([{ kind: "start_actor", hostId: "NA1", actorKey: KEY, ref: "D1", instances: 2, owner: OWNER }]);
    const restored = run({ apps: [zoned], hosts: [host("NA1", { zone: "a" }, [running()]), b1, host("NB2", { zone: "b" }, [running()])], links: [link] });
    expect(restored.commands).toEqual([{ kind: "stop_actor", hostId: "NB2", actorKey: KEY }]);
  });

  it("stops actors an earlier version owned, and their links", () => {
    const hosts = [host("NA", { role: "edge" }, [running(), running("X", 1, OLD)], ["wascc:http_server"]), host("NB", {}, [running()])];
    const oldLink: Link = { ...link, actorKey: OLD };
    expect(run({ apps: [app({ owned: [KEY, OLD] })], hosts, links: [link, oldLink] }).commands).toEqual([
      { kind: "stop_actor", hostId: "NA", actorKey: OLD },
      { kind: "delete_link", actorKey: OLD, capabilityId: "wascc:http_server", binding: "default" },
    ]);
  });

  it("an undeployed application leaves alone an actor and a link that another deployed application wants", () => {
    const edgeLink: Link = { ...link, binding: "edge", owner: { app: "edge-app", version: "1" } };
    const other = app({
      name: "edge-app",
      actors: [{ ...app().actors[0]!, replicas: 1, instances: 1, spread: [{ labels: { site: "edge" }, weight: 1 }] }],
      providers: [],
      links: [edgeLink],
      owned: [KEY],
    });
    const hosts = [host("NE", { site: "edge" }, [running("D1", 1)])];
    const result = run({ apps: [app({ undeployed: true }), other], hosts, links: [edgeLink] });
    expect(result.commands).toEqual([]);
    expect(result.statuses.map((s) => [s.name, s.phase])).toEqual([
      ["shop", "undeployed"],
      ["edge-app", "deployed"],
    ]);
    // Alone, the same undeployed application stops the actor and removes the link it owns.
    expect(run({ apps: [app({ undeployed: true })], hosts, links: [{ ...edgeLink, owner: OWNER }] }).commands).toEqual([
      { kind: "stop_actor", hostId: "NE", actorKey: KEY },
      { kind: "delete_link", actorKey: KEY, capabilityId: "wascc:http_server", binding: "edge" },
    ]);
  });

  it("undeploy stops everything, removes the links and stops the providers it started; then it is undeployed", () => {
    const hosts = [edge(), host("NB", {}, [running()])];
    const undeploying = run({ apps: [app({ undeployed: true })], hosts, links: [link] });
    expect(undeploying.commands).toEqual([
      { kind: "stop_actor", hostId: "NA", actorKey: KEY },
      { kind: "stop_actor", hostId: "NB", actorKey: KEY },
      { kind: "stop_provider", hostId: "NA", capabilityId: "wascc:http_server", app: "shop" },
      { kind: "delete_link", actorKey: KEY, capabilityId: "wascc:http_server", binding: "default" },
    ]);
    expect(undeploying.statuses[0]!.phase).toBe("undeploying");
    expect(undeploying.statuses[0]!.pending).toContain("stop provider wascc:http_server on NA…");
    // Actors and links gone, the provider still there: not undeployed yet.
    expect(run({ apps: [app({ undeployed: true })], hosts: [edge([]), host("NB")] }).statuses[0]!.phase).toBe("undeploying");
    expect(run({ apps: [app({ undeployed: true })], hosts: [host("NA"), host("NB")] }).statuses[0]!.phase).toBe("undeployed");
  });

  it("never stops a provider from a host's own manifest, nor one it did not start", () => {
    // NA ran the provider before the app asked (no record): the app uses it and never claims it.
    const own = host("NA", { role: "edge" }, [running()], ["wascc:http_server"]);
    expect(run({ hosts: [own, host("NB", {}, [running()])], links: [link] }).commands).toEqual([]);
    const undeploying = run({ apps: [app({ undeployed: true })], hosts: [own, host("NB", {}, [running()])], links: [link] });
    expect(undeploying.commands.filter((c) => c.kind === "stop_provider")).toEqual([]);
    expect(run({ apps: [app({ undeployed: true })], hosts: [host("NA", { role: "edge" }, [], ["wascc:http_server"]), host("NB")] }).statuses[0]!.phase).toBe(
      "undeployed",
    );
    // Another application's provider is not this one's to stop.
    const other = host("NC", { role: "other" }, [], ["wascc:keyvalue"], { "wascc:keyvalue": ["blog"] });
    expect(run({ apps: [app({ undeployed: true })], hosts: [host("NA", { role: "edge" }), other] }).commands).toEqual([]);
  });

  it("claims a provider another application started, so it outlives that one while this one wants it", () => {
    const shared = edge([running()], ["blog"]);
    expect(run({ hosts: [shared, host("NB", {}, [running()])], links: [link] }).commands).toEqual([
      { kind: "start_provider", hostId: "NA", capabilityId: "wascc:http_server", app: "shop" },
    ]);
    expect(run({ hosts: [edge([running()], ["blog", "shop"]), host("NB", {}, [running()])], links: [link] }).commands).toEqual([]);
  });

  it("stops a provider on the hosts where a new version no longer wants it", () => {
    // Version 2 lists no provider: the one version 1 started on NA goes.
    const v2 = app({ version: "2", providers: [], links: [] });
    expect(run({ apps: [v2], hosts: [edge(), host("NB", {}, [running()])] }).commands).toEqual([
      { kind: "stop_provider", hostId: "NA", capabilityId: "wascc:http_server", app: "shop" },
    ]);
    // Version 3 wants it on other hosts: started there, released on NA.
    const v3 = app({ version: "3", providers: [{ capability: "wascc:http_server", on: { role: "gateway" } }] });
    const moved = run({
      apps: [v3],
      hosts: [edge(), host("NB", { role: "gateway" }, [running()])],
      links: [{ ...link, owner: { app: "shop", version: "3" } }],
    });
    expect(moved.commands).toEqual([
      { kind: "start_provider", hostId: "NB", capabilityId: "wascc:http_server", app: "shop" },
      { kind: "stop_provider", hostId: "NA", capabilityId: "wascc:http_server", app: "shop" },
    ]);
  });

  it("backs off a failing provider stop and stays undeploying with the reason", () => {
    const heldBack = (key: string) =>
      key === "stop_provider:NA:wascc:http_server" ? "stop provider failed 2 time(s): WACTOR_ERR_LATTICE_TIMEOUT; next try in 2 s" : undefined;
    const { commands, statuses } = run({ apps: [app({ undeployed: true })], hosts: [edge([]), host("NB")], heldBack });
    expect(commands).toEqual([]);
    expect(statuses[0]!.phase).toBe("undeploying");
    expect(statuses[0]!.problems).toEqual(["stop provider failed 2 time(s): WACTOR_ERR_LATTICE_TIMEOUT; next try in 2 s"]);
  });

  describe("ownership (issue 28)", () => {
    const mine = { [KEY]: OWNER };
    const placed = [edge([running()]), host("NB", {}, [running()], [], {}, mine)];
    placed[0] = { ...placed[0]!, actorApps: mine };

    it("never removes a link made by hand on the application's actor, nor one another application owns", () => {
      const byHand: Link = { ...wantedLink, binding: "extra", values: { PORT: "9090" } };
      const blogs: Link = { ...wantedLink, binding: "blog", owner: { app: "blog", version: "7" } };
      expect(run({ hosts: placed, links: [link, byHand, blogs] }).commands).toEqual([]);
      // Undeployed, it removes its own link only.
      expect(run({ apps: [app({ undeployed: true })], hosts: placed, links: [link, byHand, blogs] }).commands.filter((c) => c.kind === "delete_link")).toEqual([
        { kind: "delete_link", actorKey: KEY, capabilityId: "wascc:http_server", binding: "default" },
      ]);
    });

    it("takes over a hand-made link of the name it wants, and re-puts its link when an operator changed it", () => {
      expect(run({ hosts: placed, links: [{ ...wantedLink, values: { PORT: "1" } }] }).commands).toEqual([
        { kind: "put_link", link: wantedLink, owner: OWNER },
      ]);
      expect(run({ hosts: placed, links: [{ ...link, values: { PORT: "1" } }] }).commands).toEqual([{ kind: "put_link", link: wantedLink, owner: OWNER }]);
    });

    it("leaves an actor started by hand alone: not counted, not scaled, not stopped, its host not used again", () => {
      const hosts = [edge([running("D0", 5)]), host("NB", {}, [], [], {}, {}), host("NC", {}, [], [], {}, {})];
      hosts[0] = { ...hosts[0]!, actorApps: {} };
      const { commands, statuses } = run({ hosts, links: [link] });
      expect(commands).toEqual([
        { kind: "start_actor", hostId: "NB", actorKey: KEY, ref: "D1", instances: 2, owner: OWNER },
        { kind: "start_actor", hostId: "NC", actorKey: KEY, ref: "D1", instances: 2, owner: OWNER },
      ]);
      expect(statuses[0]!.notes).toEqual(["echo on NA… was started by hand (unmanaged): left alone"]);
      // Undeployed, the application stops only what it placed.
      expect(run({ apps: [app({ undeployed: true })], hosts, links: [] }).commands.filter((c) => c.kind === "stop_actor")).toEqual([]);
    });

    it("adopts the placements of an earlier version, and those an undeployed application left to it, without restarting them", () => {
      const v2 = app({ version: "2" });
      const owner2 = { app: "shop", version: "2" };
      const { commands } = run({ apps: [v2], hosts: placed, links: [{ ...link, owner: owner2 }] });
      expect(commands).toEqual([
        { kind: "adopt_actor", hostId: "NA", actorKey: KEY, instances: 2, owner: owner2 },
        { kind: "adopt_actor", hostId: "NB", actorKey: KEY, instances: 2, owner: owner2 },
      ]);
      const blog = app({ name: "blog", deployedAt: "2026-11-26T00:00:00.000Z" });
      const left = run({ apps: [app({ undeployed: true }), blog], hosts: placed, links: [] });
      expect(left.commands.filter((c) => c.kind === "adopt_actor").map((c) => [c.hostId, (c as { owner: unknown }).owner])).toEqual([
        ["NA", { app: "blog", version: "1" }],
        ["NB", { app: "blog", version: "1" }],
      ]);
      expect(left.commands.filter((c) => c.kind === "stop_actor")).toEqual([]);
    });

    it("a second application that wants the same actor or link is a conflict naming the first, and issues nothing for it", () => {
      const other = app({
        name: "other",
        deployedAt: "2026-11-20T00:00:00.000Z",
        version: "9",
        providers: [],
        actors: [{ ...app().actors[0]!, replicas: 1, spread: [{ labels: { role: "edge" }, weight: 1 }] }],
      });
      // 'other' was deployed earlier, but 'shop' placed the replicas and put the link: shop keeps them.
      const { commands, statuses } = run({ apps: [app(), other], hosts: placed, links: [link] });
      expect(commands).toEqual([]);
      expect(statuses.map((s) => [s.name, s.phase, s.conflictsWith])).toEqual([
        ["shop", "deployed", []],
        ["other", "conflict", ["shop"]],
      ]);
      expect(statuses[1]!.conflicts).toEqual([
        "echo: application 'shop' owns it and keeps it; this application leaves it alone (give each application its own, or undeploy 'shop')",
        "link echo -> wascc:http_server 'default': application 'shop' owns it and keeps it; this application leaves it alone (give each application its own, or undeploy 'shop')",
      ]);
      // Nothing placed yet: the one deployed first gets it, every round the same.
      const fresh = run({ apps: [app(), other], hosts: [host("NA", { role: "edge" }, [], [], {}, {}), host("NB", {}, [], [], {}, {})] });
      expect(fresh.statuses.map((s) => [s.name, s.phase])).toEqual([
        ["shop", "conflict"],
        ["other", "reconciling"],
      ]);
      expect(fresh.commands.filter((c) => c.kind === "start_actor").map((c) => (c as { owner: { app: string } }).owner.app)).toEqual(["other"]);
    });
  });
});
