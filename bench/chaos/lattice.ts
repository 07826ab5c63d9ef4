/**
 * The chaos run's lattice on loopback: a 3-node JetStream cluster, a durable Redis (fsynced
 * append-only file: an acknowledged increment survives a SIGKILL of Redis), four `wactor up
 * --lattice` processes (one edge, three workers) and the application: kvcounter with two
 * replicas on workers, the HTTP and key-value providers on the edge. Every piece can be
 * SIGKILLed and started again: a NATS node or Redis on its port with its data, a host as a
 * new process with the same manifest (a new host id, as after a crash in production).
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { KeyPair } from "../../src/claims/nkeys.js";
import { AppClient } from "../../src/deploy/app-client.js";
import { loadAppManifest } from "../../src/deploy/app-manifest.js";
import { startNatsCluster, type NatsCluster } from "../../scripts/lib/nats-cluster.js";
import { stablePort, startRedis, type ServerHandle } from "../../scripts/lib/servers.js";
import { startUp, stopUp, waitForOutput, type UpProcess } from "../../scripts/lib/up-process.js";

export const APP = "chaos";
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** The reconciler's period and the hosts' heartbeat: the lease then lives 5 s (its floor). */
const PERIOD_MS = 500;

export interface HostSlot {
  name: string;
  role: "edge" | "worker";
  manifest: string;
  proc: UpProcess;
  hostId: string;
  /** How many times this slot's process was started. */
  incarnation: number;
  /** Set while the nemesis kills it: any other exit is a host exiting on its own. */
  killing: boolean;
}

export interface HostExit {
  name: string;
  incarnation: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  at: number;
  /** The last lines the process wrote. */
  tail: string;
}

export class ChaosLattice {
  readonly hosts: HostSlot[] = [];
  /** Host processes that exited without the nemesis killing them. */
  readonly unexpectedExits: HostExit[] = [];
  /** Every host process's output, kept for the error codes they logged. */
  readonly retiredOutput: string[] = [];
  #stopping = false;

  private constructor(
    readonly dir: string,
    readonly nats: NatsCluster,
    readonly redis: ServerHandle,
    readonly httpPort: number,
    readonly seed: string,
    public apps: AppClient | undefined,
  ) {}

  static async start(log: (line: string) => void): Promise<ChaosLattice> {
    const dir = await mkdtemp(join(tmpdir(), "wactor-chaos-"));
    const [nats, redis, httpPort] = await Promise.all([startNatsCluster({ size: 3 }), startRedis({ durable: true }), stablePort()]);
    const lattice = new ChaosLattice(dir, nats, redis, httpPort, KeyPair.create("cluster").seed, undefined);
    try {
      log(`nats ${nats.nodes.map((n) => `${n.name}=${n.port}`).join(" ")}, redis ${redis.port} (appendfsync always), http ${httpPort}`);
      // One worker first, so the reconciler's lease starts on a worker; then the rest together.
      await lattice.#addHost("w1", "worker");
      await Promise.all([lattice.#addHost("w2", "worker"), lattice.#addHost("w3", "worker"), lattice.#addHost("edge", "edge")]);
      log(`hosts ${lattice.hosts.map((h) => `${h.name}=${h.hostId.slice(0, 8)}`).join(" ")}`);
      lattice.apps = await AppClient.connect({ url: nats.url });
      const manifest = join(dir, "app.yaml");
      await writeFile(manifest, lattice.#appManifest());
      const status = await lattice.apps.deploy(await loadAppManifest(manifest), { timeoutMs: 120_000 });
      log(`application ${status.name} ${status.version}: ${status.phase}`);
      return lattice;
    } catch (err) {
      await lattice.stop();
      throw err;
    }
  }

  get url(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  host(name: string): HostSlot {
    const slot = this.hosts.find((h) => h.name === name);
    if (!slot) throw new Error(`no host named ${name}`);
    return slot;
  }

  liveHostIds(): Set<string> {
    return new Set(this.hosts.filter((h) => h.proc.child.exitCode === null && h.proc.child.signalCode === null).map((h) => h.hostId));
  }

  /** SIGKILL, as the nemesis does it: the exit is expected. */
  async killHost(name: string): Promise<void> {
    const slot = this.host(name);
    slot.killing = true;
    slot.proc.child.kill("SIGKILL");
    await slot.proc.exited;
  }

  /** A new process with the slot's manifest; resolves once it is in the lattice. */
  async restartHost(name: string): Promise<void> {
    const slot = this.host(name);
    this.retiredOutput.push(slot.proc.stdout() + slot.proc.stderr());
    const proc = this.#spawn(slot.manifest);
    slot.proc = proc;
    slot.incarnation++;
    slot.killing = false;
    this.#watchExit(slot);
    await waitForOutput(proc, `lattice  default`, 60_000);
    slot.hostId = hostIdOf(proc);
  }

  /** Every host's output so far (retired processes included). */
  allOutput(): string[] {
    return [...this.retiredOutput, ...this.hosts.map((h) => h.proc.stdout() + h.proc.stderr())];
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    await this.apps?.close().catch(() => undefined);
    // All at once: one by one, the last hosts get every replica of those that left before.
    await Promise.all(this.hosts.map((h) => stopUp(h.proc)));
    await Promise.all([this.nats.stop(), this.redis.stop()]);
    await rm(this.dir, { recursive: true, force: true });
  }

  async #addHost(name: string, role: "edge" | "worker"): Promise<void> {
    const manifest = join(this.dir, `${name}.yaml`);
    await writeFile(manifest, `labels: { role: ${role}, name: ${name} }\n`);
    const proc = this.#spawn(manifest);
    const slot: HostSlot = { name, role, manifest, proc, hostId: "", incarnation: 1, killing: false };
    this.hosts.push(slot);
    this.#watchExit(slot);
    await waitForOutput(proc, "lattice  default", 60_000);
    slot.hostId = hostIdOf(proc);
  }

  #spawn(manifest: string): UpProcess {
    const period = String(PERIOD_MS);
    return startUp([
      manifest,
      "--lattice",
      this.nats.url,
      "--cluster-seed",
      this.seed,
      "--heartbeat-ms",
      period,
      "--reconcile-ms",
      period,
      "--log-level",
      "warn",
    ]);
  }

  #watchExit(slot: HostSlot): void {
    const { proc, incarnation } = slot;
    void proc.exited.then((code) => {
      if (slot.killing || this.#stopping) return;
      const tail = (proc.stdout() + proc.stderr()).trim().split("\n").slice(-8).join("\n");
      this.unexpectedExits.push({ name: slot.name, incarnation, code, signal: proc.child.signalCode, at: Date.now(), tail });
    });
  }

  #appManifest(): string {
    const kvcounter = join(ROOT, "actors/build/kvcounter_s.wasm");
    return [
      `name: ${APP}`,
      'version: "1"',
      "actors:",
      `  - { source: ${kvcounter}, replicas: 2, instances: 2, spread: [ { labels: { role: worker } } ] }`,
      "providers:",
      "  - { capability: wascc:http_server, on: { role: edge } }",
      "  - { capability: wascc:keyvalue, on: { role: edge } }",
      "links:",
      `  - { actor: kvcounter, capability: wascc:http_server, values: { PORT: "${this.httpPort}" } }`,
      `  - { actor: kvcounter, capability: wascc:keyvalue, values: { URL: "${this.redis.url}" } }`,
      "",
    ].join("\n");
  }
}

function hostIdOf(proc: UpProcess): string {
  const id = /host=(N[A-Z2-7]{55})/.exec(proc.stdout())?.[1];
  if (!id) throw new Error(`no host id in the ready summary:\n${proc.stdout()}`);
  return id;
}

/** Resident set size of a process in bytes (Linux), or undefined once it is gone. */
export async function rssOf(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => undefined);
  const kib = status && /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
  return kib ? Number(kib) * 1024 : undefined;
}
