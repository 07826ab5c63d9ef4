/**
 * A deploy waiting for its status when no KV watch can be started (after a JetStream server
 * dies, creating a consumer can fail for tens of seconds while plain reads work): it reads
 * the status instead, and reports it.
 */
import { describe, expect, it, vi } from "vitest";
import { WactorError } from "../src/errors.js";
import { AppClient, STATUS_POLL_MS } from "../src/deploy/app-client.js";
import type { ControlClient } from "../src/lattice/mod.js";
import type { AppStore } from "../src/deploy/app-store.js";
import type { AppStatus, DesiredApp } from "../src/deploy/app-types.js";

const desired = {
  name: "echo",
  version: "1",
  deployedAt: "2026-12-02T17:00:00.000Z",
  undeployed: false,
  actors: [],
  providers: [],
  links: [],
  owned: [],
} as unknown as DesiredApp;
const status = (phase: string, deployedAt: string): AppStatus =>
  ({ name: "echo", version: "1", deployedAt, phase, problems: [], pending: [] }) as unknown as AppStatus;

/** The store is all undeploy uses: no control client (a call to it would fail the test). */
const clientOver = (store: Partial<AppStore>): AppClient => new AppClient(undefined as unknown as ControlClient, store as AppStore);

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

  it(`reads every ${STATUS_POLL_MS} ms, not sooner, while the watch cannot start`, async () => {
    vi.useFakeTimers();
    try {
      let reads = 0;
      let stored = desired;
      const client = clientOver({
        getDesired: async () => desired,
        putDesired: async (app: DesiredApp) => void (stored = app),
        watchStatus: () => Promise.reject(new WactorError("WACTOR_ERR_LATTICE_STATE_READ", "TIMEOUT")),
        getStatus: async () => {
          reads++;
          return status(reads < 3 ? "undeploying" : "undeployed", stored.deployedAt);
        },
      });
      const done = client.undeploy("echo", { timeoutMs: 10_000 });
      await vi.advanceTimersByTimeAsync(STATUS_POLL_MS - 1);
      expect(reads).toBe(0);
      await vi.advanceTimersByTimeAsync(1);
      expect(reads).toBe(1);
      await vi.advanceTimersByTimeAsync(STATUS_POLL_MS - 1);
      expect(reads).toBe(1);
      await vi.advanceTimersByTimeAsync(1 + STATUS_POLL_MS);
      expect(reads).toBe(3);
      expect((await done).phase).toBe("undeployed");
    } finally {
      vi.useRealTimers();
    }
  });
});
