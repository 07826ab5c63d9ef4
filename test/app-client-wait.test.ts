/**
 * A deploy waiting for its status when no KV watch can be started (after a JetStream server
 * dies, creating a consumer can fail for tens of seconds while plain reads work): it reads
 * the status instead, and reports it.
 */
import { describe, expect, it } from "vitest";
import { WactorError } from "../src/errors.js";
import { AppClient } from "../src/deploy/app-client.js";
import type { AppStore } from "../src/deploy/app-store.js";
import type { AppStatus, DesiredApp } from "../src/deploy/app-types.js";

const desired = { name: "echo", version: "1", deployedAt: "2026-12-02T17:00:00.000Z", undeployed: false, actors: [], providers: [], links: [], owned: [] } as unknown as DesiredApp;
const status = (phase: string, deployedAt: string): AppStatus => ({ name: "echo", version: "1", deployedAt, phase, problems: [], pending: [] }) as unknown as AppStatus;

function clientOver(store: Partial<AppStore>): AppClient {
  // The constructor is private: AppClient.connect opens a real lattice; the store is all undeploy uses.
  const Client = AppClient as unknown as new (control: unknown, store: Partial<AppStore>) => AppClient;
  return new Client(undefined, store);
}

describe("waiting for a deployment's status", () => {
  it("reads the status every half second while the watch cannot start, and resolves on the one it waits for", async () => {
    const phases = ["undeploying", "undeploying", "undeployed"];
    let reads = 0;
    let stored = desired;
    const client = clientOver({
      getDesired: async () => desired,
      putDesired: async (app: DesiredApp) => void (stored = app),
      watchStatus: () => Promise.reject(new WactorError("WACTOR_ERR_LATTICE_STATE_READ", "watching status of application echo: TIMEOUT")),
      getStatus: async () => {
        reads++;
        if (reads === 2) throw new Error("TIMEOUT"); // a failed read is tried again
        return status(phases[Math.min(reads - 1, phases.length - 1)]!, stored.deployedAt);
      },
    });
    const seen: string[] = [];
    const done = await client.undeploy("echo", { timeoutMs: 10_000, onStatus: (s) => seen.push(s.phase) });
    expect(done.phase).toBe("undeployed");
    expect(seen).toEqual(["undeploying", "undeployed"]);
    expect(reads).toBe(3);
  });

  it("still times out with the catalog error when no status ever says done", async () => {
    let stored = desired;
    const client = clientOver({
      getDesired: async () => desired,
      putDesired: async (app: DesiredApp) => void (stored = app),
      watchStatus: () => Promise.reject(new WactorError("WACTOR_ERR_LATTICE_STATE_READ", "TIMEOUT")),
      getStatus: async () => status("undeploying", stored.deployedAt),
    });
    await expect(client.undeploy("echo", { timeoutMs: 1_200 })).rejects.toMatchObject({ code: "WACTOR_ERR_DEPLOY_TIMEOUT" });
  });
});
