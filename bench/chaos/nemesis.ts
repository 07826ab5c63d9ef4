/**
 * The nemesis: at random every 10–30 s (after the previous fault recovered), SIGKILLs one of
 * a host, a NATS node (half the time the leader of a lattice bucket's stream) or Redis, keeps
 * it down for a moment, starts it again (same port and data; a host as a new process), and
 * measures how long after that restart the application is whole again. Kinds come from a
 * shuffled bag, so faults 1–3, 4–6, … each cover the three kinds; the seed replays the
 * schedule (the targets a fault finds, such as a stream's leader, are the lattice's own).
 */
import { APP, type ChaosLattice } from "./lattice.js";
import { request, sleep } from "./load.js";
import type { Prng } from "./prng.js";

export type FaultKind = "host" | "nats" | "redis";
const KINDS: readonly FaultKind[] = ["host", "nats", "redis"];

export interface Fault {
  kind: FaultKind;
  target: string;
  /** What the target was doing when killed (a replica, the reconciler, a stream's leader). */
  role: string;
  /** Killed at, ms into the run. */
  at: number;
  downMs: number;
  /** Ms from the kill until the restarted process was ready (the fault's end). */
  restartedAfterMs: number;
  /** Ms from the restart (the fault's end) until the application was deployed and serving; undefined: not within the wait. */
  recoveredAfterMs: number | undefined;
}

export interface NemesisOptions {
  gapMs: [number, number];
  downMs: [number, number];
  /** How long to wait for a recovery before giving up on it (it is then reported as not recovered). */
  recoveryWaitMs: number;
  /** The time a fault needs before the run ends: no fault starts later than this before the end. */
  tailMs: number;
}

export class Nemesis {
  readonly faults: Fault[] = [];
  #bag: FaultKind[] = [];
  #stopped = false;

  constructor(
    private readonly lattice: ChaosLattice,
    private readonly rng: Prng,
    private readonly options: NemesisOptions,
    private readonly runStart: number,
    private readonly log: (line: string) => void,
  ) {}

  stop(): void {
    this.#stopped = true;
  }

  /** Injects faults one after another until `endAt` (epoch ms) leaves no room for another, or `maxFaults` were injected. */
  async run(endAt: number, maxFaults = Infinity): Promise<void> {
    const { gapMs, downMs, tailMs } = this.options;
    while (!this.#stopped && this.faults.length < maxFaults) {
      const gap = this.rng.int(gapMs[0], gapMs[1]);
      if (Date.now() + gap + tailMs > endAt) return;
      await this.#sleep(gap);
      if (this.#stopped) return;
      if (this.#bag.length === 0) this.#bag = this.rng.shuffle(KINDS);
      const kind = this.#bag.pop()!;
      const fault = await this.#inject(kind, this.rng.int(downMs[0], downMs[1]));
      this.faults.push(fault);
      const endedAt = Date.now();
      fault.restartedAfterMs = endedAt - this.runStart - fault.at;
      fault.recoveredAfterMs = await this.#recovery(endedAt);
      this.log(`fault ${this.faults.length}: ${describe(fault)}`);
    }
  }

  async #inject(kind: FaultKind, downMs: number): Promise<Fault> {
    // The same draws for every kind, whatever the lattice looks like: the seed replays the schedule.
    const pickA = this.rng.next();
    const pickB = this.rng.next();
    const base = { kind, downMs, restartedAfterMs: 0, recoveredAfterMs: undefined };
    if (kind === "host") {
      const slot = this.lattice.hosts[Math.floor(pickA * this.lattice.hosts.length)]!;
      const role = await this.#hostRole(slot.hostId, slot.role);
      const at = Date.now() - this.runStart;
      await this.lattice.killHost(slot.name);
      await sleep(downMs);
      return { ...base, target: slot.name, role: role + (await failure(() => this.lattice.restartHost(slot.name))), at };
    }
    if (kind === "nats") {
      const nodes = this.lattice.nats.nodes;
      let node = nodes[Math.floor(pickB * nodes.length)]!;
      let role = "a node";
      if (pickA < 0.5) {
        // The leader of one of the lattice's streams (buckets), when the cluster says which.
        const buckets = await this.#buckets();
        const bucket = buckets[Math.floor(pickB * buckets.length)];
        const leader = bucket && nodes.find((n) => n.name === bucket.leader);
        if (leader) {
          node = leader;
          role = `leader of ${bucket.bucket}`;
        }
      }
      const at = Date.now() - this.runStart;
      await node.kill();
      await sleep(downMs);
      return { ...base, target: node.name, role: role + (await failure(() => node.restart())), at };
    }
    const at = Date.now() - this.runStart;
    await this.lattice.redis.kill();
    await sleep(downMs);
    return { ...base, target: "redis", role: "the counter's store" + (await failure(() => this.lattice.redis.restart())), at };
  }

  /** Ms from `endedAt` until the application is whole, or undefined after the wait. */
  async #recovery(endedAt: number): Promise<number | undefined> {
    const giveUpAt = endedAt + this.options.recoveryWaitMs;
    while (Date.now() < giveUpAt) {
      if (await this.whole()) return Date.now() - endedAt;
      await sleep(250);
    }
    return undefined;
  }

  /**
   * Deployed (as the reconciler last reported, every replica on a host alive now) and serving
   * (a probe through the edge increments its own key, answered within 2 s).
   */
  async whole(): Promise<boolean> {
    const probe = await request(`${this.lattice.url}/probe`, 2000).catch(() => ({ counter: undefined }));
    if (probe.counter === undefined) return false;
    const status = await this.lattice.apps!.status(APP).then(
      (s) => s.status,
      () => undefined,
    );
    if (status?.phase !== "deployed") return false;
    const live = this.lattice.liveHostIds();
    return status.actors.every((a) => a.running.length >= a.desiredReplicas && a.running.every((r) => live.has(r.hostId)));
  }

  async #hostRole(hostId: string, role: string): Promise<string> {
    const status = await this.lattice.apps!.status(APP).then(
      (s) => s.status,
      () => undefined,
    );
    const roles = [role];
    if (status?.actors.some((a) => a.running.some((r) => r.hostId === hostId))) roles.push("a replica");
    if (status?.reconciler === hostId) roles.push("the reconciler");
    return roles.join(", ");
  }

  async #buckets(): Promise<Array<{ bucket: string; leader?: string }>> {
    const state = await this.lattice.apps!.control.getLatticeState().catch(() => undefined);
    return state?.buckets ?? [];
  }

  async #sleep(ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (!this.#stopped && Date.now() < until) await sleep(Math.min(250, until - Date.now()));
  }
}

/** A restart that failed is part of the fault's story (the application then does not recover), not the end of the run. */
async function failure(restart: () => Promise<void>): Promise<string> {
  try {
    await restart();
    return "";
  } catch (err) {
    return `; restart FAILED: ${(err as Error).message.split("\n")[0]}`;
  }
}

export function describe(f: Fault): string {
  const recovered =
    f.recoveredAfterMs === undefined
      ? "NOT recovered"
      : `recovered ${f.recoveredAfterMs} ms after it (${f.restartedAfterMs + f.recoveredAfterMs} ms after the kill)`;
  return `${f.kind} ${f.target} (${f.role}) killed at ${(f.at / 1000).toFixed(1)} s, down ${f.downMs} ms, restarted ready ${f.restartedAfterMs} ms after the kill, ${recovered}`;
}
