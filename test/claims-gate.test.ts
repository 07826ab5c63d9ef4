/**
 * The claims gate in each instance worker, and the low CPU priority of an actor that hit its
 * deadline. The gate's denials must read exactly like the host's and be counted exactly.
 */
import { readdirSync, readFileSync } from "node:fs";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { KeyPair } from "../src/claims/nkeys.js";
import { isWactorError } from "../src/errors.js";
import { Host } from "../src/host/host.js";
import { ClaimsGate } from "../src/runtime/claims-gate.js";
import { eventually } from "./helpers/eventually.js";
import { signedRawGuest } from "./helpers/raw-guest.js";

const enc = (text: string) => new TextEncoder().encode(text);

describe("claims gate", () => {
  const identity = { key: KeyPair.create("module").publicKey, name: "gated", caps: ["wascc:logging"] };

  it("lets claimed capabilities and actor calls through to the host", () => {
    const gate = new ClaimsGate(identity, () => expect.unreachable("nothing is denied"));
    expect(gate.check("", "wascc:logging", "WriteLog")).toBeUndefined();
    expect(gate.check("", KeyPair.create("module").publicKey, "Echo")).toBeUndefined();
  });

  it("denies the rest with the host's text: the first at once, then counted and reported in batches", () => {
    const reports: Array<[string, string, string, number]> = [];
    const gate = new ClaimsGate(identity, (...report) => reports.push(report));
    const text = gate.check("", "wascc:keyvalue", "Get");
    expect(text).toBe(
      `WACTOR_ERR_PERMISSION_DENIED: Permission denied: the actor did not claim this capability or has no binding for it. Re-sign with the capability ('--cap') and bind it. (actor gated ${identity.key} -> capability wascc:keyvalue, binding 'default', operation Get: the actor did not claim wascc:keyvalue)`,
    );
    expect(reports).toEqual([["wascc:keyvalue", "default", "Get", 1]]);
    for (let i = 0; i < 2000; i++) gate.check("", "wascc:keyvalue", "Get");
    gate.check("other", "wascc:keyvalue", "Get");
    // 1024 counted: reported without waiting for the end of the invocation.
    expect(reports).toEqual([
      ["wascc:keyvalue", "default", "Get", 1],
      ["wascc:keyvalue", "default", "Get", 1024],
      ["wascc:keyvalue", "other", "Get", 1],
    ]);
    gate.flush();
    expect(reports.at(-1)).toEqual(["wascc:keyvalue", "default", "Get", 2000 - 1024]);
    expect(reports.reduce((sum, r) => sum + r[3], 0)).toBe(2002);
  });

  describe("through a host", () => {
    const host = new Host({ logger: pino({ level: "silent" }), actorDefaults: { instances: 1 } });
    afterAll(() => host.shutdown());

    it("a denied call never leaves the worker, and the host counts every one", async () => {
      const events: number[] = [];
      host.events.on("invocation_denied", (d) => events.push(d.count));
      const { bytes } = await signedRawGuest({ caps: [], name: "gated" });
      const key = (await host.startActor(bytes)).key;
      for (let i = 0; i < 5; i++) {
        const message = await host.invoke(key, "HostCall", enc("|wascc:keyvalue|Get|x")).catch((e: Error) => e.message);
        expect(message).toContain("the actor did not claim wascc:keyvalue");
      }
      expect(host.authorizer.deniedCounts()).toContainEqual({ actorKey: key, capabilityId: "wascc:keyvalue", count: 5 });
      expect(events.reduce((a, b) => a + b, 0)).toBe(5);
    });
  });
});

/** Nice values of this process's threads (Linux). */
function threadNices(): number[] {
  return readdirSync("/proc/self/task").map((tid) => Number(readFileSync(`/proc/self/task/${tid}/stat`, "utf8").split(") ")[1]!.split(" ")[16]));
}

// Thread isolation (the last resort for modules that cannot be metered) keeps its own
// demotion; metered actors are demoted by the scheduler (metered-runtime.test.ts).
describe("a thread-isolated actor that hit its deadline runs at low CPU priority until it succeeds", () => {
  const host = new Host({ logger: pino({ level: "silent" }), actorDefaults: { instances: 1, deadlineMs: 150, isolation: "thread" } });
  afterAll(() => host.shutdown());

  it("demotes its threads after the deadline and restores them on success", async () => {
    const { bytes } = await signedRawGuest({ caps: [], name: "slowpoke" });
    const key = (await host.startActor(bytes)).key;
    expect(threadNices().filter((n) => n > 0)).toEqual([]);
    const code = await host.invoke(key, "Loop", enc("")).catch((e: unknown) => (isWactorError(e) ? e.code : String(e)));
    expect(code).toBe("WACTOR_ERR_DEADLINE");
    // The replacement worker is demoted as soon as it is ready.
    await eventually(() => expect(threadNices().filter((n) => n === 10)).toHaveLength(1));
    expect(new TextDecoder().decode(await host.invoke(key, "Echo", enc("back")))).toBe("back");
    if (process.getuid?.() === 0) {
      expect(threadNices().filter((n) => n > 0)).toEqual([]);
    } else {
      // Raising a priority needs CAP_SYS_NICE: without it the thread stays low until replaced.
      expect(threadNices().filter((n) => n === 10)).toHaveLength(1);
    }
  });
});
