/**
 * An actor's lifecycle as an xstate v5 machine:
 * loading -> verifying -> starting -> running <-> updating -> stopping -> stopped,
 * and failed (with a reason) from any step before running.
 */
import { assign, createActor, setup, type Actor } from "xstate";

export type LifecycleState = "loading" | "verifying" | "starting" | "running" | "updating" | "stopping" | "stopped" | "failed";

export type LifecycleEvent =
  | { type: "LOADED" }
  | { type: "VERIFIED" }
  | { type: "STARTED" }
  | { type: "UPDATE" }
  | { type: "UPDATED" }
  | { type: "STOP" }
  | { type: "STOPPED" }
  | { type: "FAIL"; reason: string };

export const actorLifecycleMachine = setup({
  types: {
    context: {} as { reason: string | undefined },
    events: {} as LifecycleEvent,
  },
  actions: {
    recordFailure: assign({ reason: ({ event }) => (event.type === "FAIL" ? event.reason : undefined) }),
    clearFailure: assign({ reason: undefined }),
  },
}).createMachine({
  id: "actor",
  initial: "loading",
  context: { reason: undefined },
  states: {
    loading: { on: { LOADED: "verifying", FAIL: { target: "failed", actions: "recordFailure" } } },
    verifying: { on: { VERIFIED: "starting", FAIL: { target: "failed", actions: "recordFailure" } } },
    starting: { on: { STARTED: "running", FAIL: { target: "failed", actions: "recordFailure" } } },
    running: { on: { UPDATE: "updating", STOP: "stopping" } },
    // A failed update leaves the old version running: the FAIL reason is kept for display
    // until a later update succeeds, so a stale failure is never shown beside a good version.
    updating: { on: { UPDATED: { target: "running", actions: "clearFailure" }, FAIL: { target: "running", actions: "recordFailure" }, STOP: "stopping" } },
    stopping: { on: { STOPPED: "stopped" } },
    stopped: { type: "final" },
    failed: { type: "final" },
  },
});

export type LifecycleActor = Actor<typeof actorLifecycleMachine>;

/** Starts a lifecycle and reports every state change. */
export function startLifecycle(onTransition: (state: LifecycleState, reason: string | undefined) => void): LifecycleActor {
  const actor = createActor(actorLifecycleMachine);
  let last: string | undefined;
  actor.subscribe((snapshot) => {
    const state = snapshot.value as LifecycleState;
    if (state !== last) {
      last = state;
      onTransition(state, snapshot.context.reason);
    }
  });
  actor.start();
  return actor;
}
