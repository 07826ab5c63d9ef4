/**
 * Applications in JetStream KV: the desired state (one revision per deployed version, kept
 * as history), the status the reconciler last computed, both surviving every host restart.
 */
import type { KV, KvEntry } from "nats";
import type { LatticeBuckets } from "../lattice/buckets.js";
import { followKv } from "../lattice/kv-follow.js";
import { readState } from "../lattice/state-read.js";
import { writeState } from "../lattice/state-write.js";
import type { LatticeSubjects } from "../lattice/subjects.js";
import type { AppStatus, DesiredApp } from "./app-types.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const HISTORY = 64;

function parse<T>(entry: KvEntry | null): T | undefined {
  if (!entry || entry.operation !== "PUT" || entry.value.length === 0) return undefined;
  try {
    return JSON.parse(decoder.decode(entry.value)) as T;
  } catch {
    return undefined;
  }
}

function allKeys(kv: KV): Promise<string[]> {
  return readState("listing the applications", async () => {
    // Keys first: awaiting inside the keys iterator ends it early (nats.js v2).
    const keys: string[] = [];
    for await (const key of await kv.keys()) keys.push(key);
    return keys;
  });
}

export class AppStore {
  private constructor(
    private readonly desired: KV,
    private readonly status: KV,
  ) {}

  static async open(buckets: LatticeBuckets, subjects: LatticeSubjects): Promise<AppStore> {
    const [desired, status] = await Promise.all([buckets.kv(subjects.appsBucket, { history: HISTORY }), buckets.kv(subjects.appStatusBucket, { history: 1 })]);
    return new AppStore(desired, status);
  }

  async putDesired(app: DesiredApp): Promise<void> {
    await writeState(`storing application ${app.name}`, () => this.desired.put(app.name, encoder.encode(JSON.stringify(app))));
  }

  async getDesired(name: string): Promise<DesiredApp | undefined> {
    return parse<DesiredApp>(await readState(`reading application ${name}`, () => this.desired.get(name)));
  }

  async listDesired(): Promise<DesiredApp[]> {
    const apps = await Promise.all((await allKeys(this.desired)).map((k) => this.getDesired(k)));
    return apps.filter((a): a is DesiredApp => a !== undefined);
  }

  /** Every stored version, oldest first. */
  async history(name: string): Promise<DesiredApp[]> {
    return readState(`reading the history of application ${name}`, async () => {
      const versions: DesiredApp[] = [];
      for await (const entry of await this.desired.history({ key: name })) {
        const app = parse<DesiredApp>(entry);
        if (app) versions.push(app);
      }
      return versions;
    });
  }

  async putStatus(status: AppStatus): Promise<void> {
    await writeState(`storing the status of application ${status.name}`, () => this.status.put(status.name, encoder.encode(JSON.stringify(status))));
  }

  async getStatus(name: string): Promise<AppStatus | undefined> {
    return parse<AppStatus>(await readState(`reading the status of application ${name}`, () => this.status.get(name)));
  }

  /** Calls back on every status change of one application (the watch survives the loss of its consumer); returns a stop function. */
  async watchStatus(name: string, onStatus: (status: AppStatus) => void): Promise<() => void> {
    const follower = await followKv(
      this.status,
      (entry) => {
        const status = parse<AppStatus>(entry);
        if (status) onStatus(status);
      },
      { key: name, what: `status of application ${name}` },
    );
    return () => follower.stop();
  }
}
