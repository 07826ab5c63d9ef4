/**
 * The reconciler: every host of a lattice runs one, exactly one leads (KV lease). The leader
 * observes the hosts (ping), plans (planner.ts) and acts through the control client, then
 * writes each application's status. An xstate machine holds the loop:
 * following -> claiming -> leading.reconciling <-> leading.waiting -> (lease lost) following.
 */
import type { Logger } from "pino";
import { assign, createActor, fromPromise, setup, type Actor } from "xstate";
import { isWactorError } from "../errors.js";
import type { ControlClient } from "../lattice/control/control-client.js";
import type { AppStore } from "./app-store.js";
import type { AppStatus, ObservedHost } from "./app-types.js";
import { CommandBackoff } from "./backoff.js";
import { HostRoll } from "./host-roll.js";
import type { Lease } from "./lease.js";
import { commandKey, describeCommand, plan, type Command, type Plan } from "./planner.js";

export interface ReconcilerOptions {
  client: ControlClient;
  store: AppStore;
  lease: Lease;
  /** This host's id: the lease holder's name. */
  holder: string;
  intervalMs: number;
  logger: Logger;
}

/** The lease went to another host between observing and acting: this round does nothing. */
export class LeaseLost extends Error {
  constructor(holder: string) {
    super(`reconciler ${holder} lost its lease before acting; the new leader takes over`);
    this.name = "LeaseLost";
  }
}

function reconcilerMachine(o: ReconcilerOptions, reconcileOnce: () => Promise<Plan>) {
  return setup({
    types: { context: {} as { lastError: string | undefined } },
    actors: {
      // A lease that cannot be read or written is no verdict on who leads: follow this round, saying why.
      claim: fromPromise(() =>
        o.lease.tryAcquire(o.holder).catch((err: unknown) => {
          o.logger.warn({ holder: o.holder, err }, "reconciler: the lease could not be checked; following until it can");
          return false;
        }),
      ),
      reconcile: fromPromise(() => reconcileOnce()),
    },
    delays: { interval: () => o.intervalMs },
  }).createMachine({
    id: "reconciler",
    initial: "claiming",
    context: { lastError: undefined },
    states: {
      following: { after: { interval: "claiming" } },
      claiming: {
        invoke: {
          src: "claim",
          onDone: [{ guard: ({ event }) => event.output, target: "leading" }, { target: "following" }],
          onError: "following",
        },
      },
      leading: {
        initial: "reconciling",
        states: {
          reconciling: {
            invoke: {
              src: "reconcile",
              onDone: { target: "waiting", actions: assign({ lastError: undefined }) },
              onError: [
                { guard: ({ event }) => event.error instanceof LeaseLost, target: "#reconciler.following" },
                { target: "waiting", actions: assign({ lastError: ({ event }) => String(event.error) }) },
              ],
            },
          },
          waiting: { after: { interval: "renewing" } },
          renewing: {
            invoke: {
              src: "claim",
              onDone: [{ guard: ({ event }) => event.output, target: "reconciling" }, { target: "#reconciler.following" }],
              onError: "#reconciler.following",
            },
          },
        },
      },
    },
  });
}

export class Reconciler {
  readonly #o: ReconcilerOptions;
  readonly #backoff = new CommandBackoff();
  readonly #lastStatus = new Map<string, string>();
  readonly #roll = new HostRoll();
  #machine: Actor<ReturnType<typeof reconcilerMachine>> | undefined;

  constructor(options: ReconcilerOptions) {
    this.#o = options;
  }

  start(): void {
    this.#machine = createActor(reconcilerMachine(this.#o, () => this.reconcileOnce()));
    let leading = false;
    this.#machine.subscribe((snapshot) => {
      const now = snapshot.matches("leading");
      if (now !== leading) this.#o.logger.info({ holder: this.#o.holder }, now ? "reconciler: leading" : "reconciler: following");
      leading = now;
    });
    this.#machine.start();
  }

  get isLeader(): boolean {
    return this.#machine?.getSnapshot().matches("leading") ?? false;
  }

  async stop(): Promise<void> {
    const wasLeader = this.isLeader;
    this.#machine?.stop();
    if (!wasLeader) return;
    await this.#o.lease.release(this.#o.holder).catch((err: unknown) => {
      this.#o.logger.warn({ holder: this.#o.holder, err }, "reconciler: lease not released; another host leads once it expires");
    });
  }

  /** One observe -> plan -> act -> report round. */
  async reconcileOnce(): Promise<Plan> {
    const { client, store } = this.#o;
    const [apps, answered, links] = await Promise.all([store.listDesired(), client.getHosts(1000, 150), client.getLinks()]);
    const summaries = this.#roll.plan(answered);
    // A host of an older version sends no providerApps: nothing there was started for an app.
    const hosts: ObservedHost[] = summaries.map((h) => ({
      id: h.id,
      labels: h.labels,
      providers: h.providers,
      providerApps: h.providerApps ?? {},
      actors: h.actors,
      actorApps: h.actorApps,
      bundles: (h.bundles ?? []).map((b) => ({ digest: b.digest, schedules: b.schedules, ...(b.owner && { owner: b.owner }) })),
    }));
    const names = new Map(apps.flatMap((a) => a.actors.map((x) => [x.key, x.name ?? x.key.slice(0, 10)] as const)));
    const describe = (key: string): string => {
      const [kind, ...rest] = key.split(":");
      return `${kind} ${rest.map((r) => names.get(r) ?? (r.length > 20 ? `${r.slice(0, 10)}…` : r)).join(" ")}`;
    };
    const result = plan({ apps, hosts, links, heldBack: (key) => this.#backoff.heldBack(key, describe(key)), reconciler: this.#o.holder, now: new Date() });
    // Observing took a while (pings wait for answers): act only while still the leader, and
    // with a freshly renewed lease, so a round never outlives it and two leaders never act.
    if (!(await this.#o.lease.tryAcquire(this.#o.holder))) throw new LeaseLost(this.#o.holder);
    await Promise.all(result.commands.map((c) => this.#execute(c, (k) => names.get(k) ?? k)));
    for (const status of result.statuses) await this.#report(status);
    return result;
  }

  async #execute(command: Command, name: (key: string) => string): Promise<void> {
    const key = commandKey(command);
    try {
      await this.#run(command);
      this.#backoff.succeeded(key);
      this.#o.logger.info({ command: command.kind }, `reconciler: ${describeCommand(command, name)}`);
    } catch (err) {
      const reason = isWactorError(err) ? `${err.code}: ${err.detail ?? err.message}` : String(err);
      this.#backoff.failed(key, reason);
      this.#o.logger.warn({ command: command.kind, reason }, `reconciler: ${describeCommand(command, name)} failed`);
    }
  }

  async #run(c: Command): Promise<void> {
    const { client } = this.#o;
    switch (c.kind) {
      case "start_actor":
        await client.startActor(
          { ref: c.ref, ...(c.bundle !== undefined && { bundle: c.bundle }) },
          { hostId: c.hostId, instances: c.instances, owner: c.owner },
        );
        return;
      case "update_actor":
        await client.updateActor(c.hostId, c.ref, c.owner, c.bundle);
        return;
      case "start_bundle":
        await client.startBundle(c.hostId, {
          digest: c.digest,
          port: c.port,
          schedules: c.schedules,
          ...(c.listen !== undefined && { listen: c.listen }),
          ...(c.messaging !== undefined && { messaging: c.messaging }),
          owner: c.owner,
        });
        return;
      case "stop_bundle":
        await client.stopBundle(c.hostId, c.digest);
        return;
      case "scale_actor":
      case "adopt_actor":
        await client.scaleActor(c.actorKey, c.instances, { hostId: c.hostId, owner: c.owner });
        return;
      case "stop_actor":
        // Already gone (stopped by hand, or its host left between observing and acting): done.
        await client.stopActor(c.actorKey, { hostId: c.hostId }).catch((err: unknown) => {
          if (!isWactorError(err, "WACTOR_ERR_ACTOR_NOT_FOUND")) throw err;
        });
        return;
      case "start_provider":
        await client.startProvider(c.hostId, c.capabilityId, c.app);
        return;
      case "stop_provider":
        await client.stopProvider(c.capabilityId, { hostId: c.hostId, app: c.app });
        return;
      case "put_link": {
        const result = await client.putLink({
          actor: c.link.actorKey,
          capabilityId: c.link.capabilityId,
          binding: c.link.binding,
          values: c.link.values,
          owner: c.owner,
        });
        const refusal = result.validations.find((v) => !v.ok);
        if (refusal) throw new Error(`refused by host ${refusal.hostId.slice(0, 10)}…: ${refusal.code}: ${refusal.detail}`);
        return;
      }
      case "delete_link":
        await client.deleteLink(c.actorKey, c.capabilityId, c.binding).catch((err: unknown) => {
          if (!isWactorError(err, "WACTOR_ERR_LINK_NOT_FOUND")) throw err;
        });
        return;
    }
  }

  /** Writes a status when it changed (the timestamp aside), so watchers see changes only. */
  async #report(status: AppStatus): Promise<void> {
    const { updatedAt: _at, ...rest } = status;
    const text = JSON.stringify(rest);
    if (this.#lastStatus.get(status.name) === text) return;
    this.#lastStatus.set(status.name, text);
    await this.#o.store.putStatus(status);
  }
}
