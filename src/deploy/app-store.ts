/**
 * Applications in JetStream KV: the desired state (one revision per deployed version, kept
 * as history), the status the reconciler last computed, both surviving every host restart.
 * With a signer, a version is stored signed by the operator; with a verifier (the
 * reconciler's), only versions signed by a trusted operator are read, never an older one
 * written back (entry-reader.ts). Junk in either bucket is reported once and skipped.
 */
import type { KV, KvEntry } from "nats";
import type { KeyPair } from "../claims/nkeys.js";
import type { LatticeBuckets } from "../lattice/state/buckets.js";
import { EntryReader } from "../lattice/state/entry-reader.js";
import { followKv, readHistory } from "../lattice/state/kv-follow.js";
import { signEntry, type SignatureVerifier } from "../lattice/trust/operator-signature.js";
import type { RejectionReporter } from "../lattice/wire/rejections.js";
import { STATUS_KIND, type RecordProofs } from "../lattice/trust/record-proof.js";
import { readState } from "../lattice/state/state-read.js";
import { writeState } from "../lattice/state/state-write.js";
import type { LatticeSubjects } from "../lattice/wire/subjects.js";
import { isAppStatus, isDesiredApp } from "./app-shape.js";
import type { AppStatus, DesiredApp } from "./app-types.js";

const encoder = new TextEncoder();
const HISTORY = 64;
export const APP_KIND = "app";

function allKeys(kv: KV): Promise<string[]> {
  return readState("listing the applications", async () => {
    // Keys first: awaiting inside the keys iterator ends it early (nats.js v2).
    const keys: string[] = [];
    for await (const key of await kv.keys()) keys.push(key);
    return keys;
  });
}

export interface AppStoreOptions {
  signer?: KeyPair;
  /** Signs the statuses this store writes (the reconciler's host cluster key, in a lattice that trusts operators). */
  statusSigner?: KeyPair;
  /** Checks each status read, its verdict in `proof` (the CLI's and the dashboard's). */
  proofs?: RecordProofs;
  verifier?: SignatureVerifier;
  reporter?: RejectionReporter;
}

export class AppStore {
  readonly #desired: KV;
  readonly #status: KV;
  readonly #signer: KeyPair | undefined;
  readonly #statusSigner: KeyPair | undefined;
  readonly #proofs: RecordProofs | undefined;
  readonly #apps: EntryReader<DesiredApp>;
  readonly #statuses: EntryReader<AppStatus>;
  /** Applications whose signed versions were learnt from their history (once per key and process). */
  readonly #learnt = new Set<string>();

  private constructor(desired: KV, status: KV, options: AppStoreOptions) {
    this.#desired = desired;
    this.#status = status;
    this.#signer = options.signer;
    this.#statusSigner = options.statusSigner;
    this.#proofs = options.proofs;
    const reporter = options.reporter && { reporter: options.reporter };
    this.#apps = new EntryReader({ kind: APP_KIND, scope: "apps", valid: isDesiredApp, ...(options.verifier && { verifier: options.verifier }), ...reporter });
    this.#statuses = new EntryReader({ kind: STATUS_KIND, scope: "app_status", valid: isAppStatus, ...reporter });
  }

  static async open(buckets: LatticeBuckets, subjects: LatticeSubjects, options: AppStoreOptions = {}): Promise<AppStore> {
    const [desired, status] = await Promise.all([buckets.kv(subjects.appsBucket, { history: HISTORY }), buckets.kv(subjects.appStatusBucket, { history: 1 })]);
    return new AppStore(desired, status, options);
  }

  async putDesired(app: DesiredApp): Promise<void> {
    const bytes = this.#signer ? signEntry(this.#signer, APP_KIND, app.name, app) : encoder.encode(JSON.stringify(app));
    await writeState(`storing application ${app.name}`, () => this.#desired.put(app.name, bytes));
  }

  async getDesired(name: string): Promise<DesiredApp | undefined> {
    if (this.#apps.checking && !this.#learnt.has(name)) {
      this.#apps.learn(await readHistory(this.#desired, `application ${name}`, name));
      this.#learnt.add(name);
    }
    return this.#read(this.#apps, await readState(`reading application ${name}`, () => this.#desired.get(name)));
  }

  async listDesired(): Promise<DesiredApp[]> {
    const apps = await Promise.all((await allKeys(this.#desired)).map((k) => this.getDesired(k)));
    return apps.filter((a): a is DesiredApp => a !== undefined);
  }

  /** Every stored version, oldest first. */
  async history(name: string): Promise<DesiredApp[]> {
    return readState(`reading the history of application ${name}`, async () => {
      const versions: DesiredApp[] = [];
      for await (const entry of await this.#desired.history({ key: name })) {
        const app = this.#read(this.#apps, entry, false);
        if (app) versions.push(app);
      }
      return versions;
    });
  }

  async putStatus(status: AppStatus): Promise<void> {
    const bytes = this.#statusSigner ? signEntry(this.#statusSigner, STATUS_KIND, status.name, status) : encoder.encode(JSON.stringify(status));
    await writeState(`storing the status of application ${status.name}`, () => this.#status.put(status.name, bytes));
  }

  async getStatus(name: string): Promise<AppStatus | undefined> {
    return this.#readStatus(await readState(`reading the status of application ${name}`, () => this.#status.get(name)));
  }

  #readStatus(entry: KvEntry | null): AppStatus | undefined {
    const status = this.#read(this.#statuses, entry);
    const proof = status && entry ? this.#proofs?.status(entry.value, entry.key) : undefined;
    return status && proof ? { ...status, proof } : status;
  }

  /** Calls back on every status change of one application (the watch survives the loss of its consumer); returns a stop function. */
  async watchStatus(name: string, onStatus: (status: AppStatus) => void): Promise<() => void> {
    const follower = await followKv(
      this.#status,
      (entry) => {
        const status = this.#readStatus(entry);
        if (status) onStatus(status);
      },
      { key: name, what: `status of application ${name}` },
    );
    return () => follower.stop();
  }

  #read<T>(reader: EntryReader<T>, entry: KvEntry | null, latest = true): T | undefined {
    if (!entry || entry.operation !== "PUT" || entry.value.length === 0) return undefined;
    return reader.read(entry, latest);
  }
}
