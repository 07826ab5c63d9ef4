/**
 * Production-shaped nats-server processes for tests, on free loopback ports: any server
 * from a configuration file, a JetStream cluster of N nodes (each killable and restartable
 * with its data), and a leaf-node server joined to a cluster.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, StorageType, type ConnectionOptions } from "nats";
import { managed, requireBinary, stablePort, tcpProbe, type ServerHandle } from "./servers.js";

export interface NatsNode extends ServerHandle {
  name: string;
  dir: string;
}

/**
 * A nats-server running `config(port, dir)`; its directory is removed on stop. Its ports are
 * out of the ephemeral range (it may be restarted); its log goes to `server.log` there (or
 * beside WACTOR_TEST_LOG's file), and a restart that fails says the log's last lines.
 */
export async function startNatsWithConfig(name: string, config: (port: number, dir: string) => string | Promise<string>, scheme = "nats"): Promise<NatsNode> {
  requireBinary("nats-server", "--version");
  const port = await stablePort();
  const dir = await mkdtemp(join(tmpdir(), `wactor-${name}-`));
  const file = join(dir, "server.conf");
  // Debugging (WACTOR_TEST_LOG): the server's log is kept beside the hosts' log.
  const logFile = process.env.WACTOR_TEST_LOG ? `${process.env.WACTOR_TEST_LOG}.${name}.log` : join(dir, "server.log");
  const cleanup = (): Promise<void> => rm(dir, { recursive: true, force: true });
  let handle: ServerHandle;
  try {
    const text = await config(port, dir);
    // A configuration that names its own log file keeps it.
    await writeFile(file, /^\s*log_file\s*:/m.test(text) ? text : `${text}\nlog_file: "${logFile}"\n`);
    handle = await managed(
      () => spawn("nats-server", ["-c", file], { stdio: "ignore" }),
      port,
      `${scheme}://127.0.0.1:${port}`,
      (p) => tcpProbe(p, "", "INFO "),
      `nats-server ${name}`,
      cleanup,
    );
  } catch (err) {
    await cleanup();
    throw err;
  }
  const restart = handle.restart;
  handle.restart = async () => {
    try {
      await restart();
    } catch (err) {
      const log = await readFile(logFile, "utf8").catch(() => "");
      throw new Error(`${(err as Error).message}; its log ends: ${log.trim().split("\n").slice(-5).join(" | ")}`);
    }
  };
  return { ...handle, name, dir };
}

export interface NatsCluster {
  nodes: NatsNode[];
  /** Every node's client URL, comma-separated, as `--lattice` takes them. */
  url: string;
  /** Leaf-node listen ports (when started with `leafnodes`). */
  leafPorts: number[];
  stop(): Promise<void>;
}

/**
 * A JetStream cluster of `size` nodes on loopback; resolves once JetStream can place `size`
 * replicas (a meta leader exists with two of three nodes: buckets created then get one).
 */
export async function startNatsCluster(options: { size?: number; leafnodes?: boolean; domain?: string } = {}): Promise<NatsCluster> {
  const size = options.size ?? 3;
  const routePorts = await Promise.all(Array.from({ length: size }, () => stablePort()));
  const leafPorts = options.leafnodes ? await Promise.all(Array.from({ length: size }, () => stablePort())) : [];
  const routes = routePorts.map((p) => `"nats-route://127.0.0.1:${p}"`).join(", ");
  const settled = await Promise.allSettled(
    routePorts.map((routePort, i) =>
      startNatsWithConfig(`n${i + 1}`, (port, dir) =>
        [
          `server_name: n${i + 1}`,
          `listen: "127.0.0.1:${port}"`,
          `jetstream { store_dir: "${join(dir, "js")}"${options.domain ? `, domain: ${options.domain}` : ""} }`,
          `cluster { name: wactor, listen: "127.0.0.1:${routePort}", routes: [${routes}] }`,
          ...(options.leafnodes ? [`leafnodes { listen: "127.0.0.1:${leafPorts[i]}" }`] : []),
        ].join("\n"),
      ),
    ),
  );
  const nodes = settled.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) {
    await Promise.all(nodes.map((n) => n.stop()));
    throw failed.reason;
  }
  const url = nodes.map((n) => n.url).join(",");
  const cluster = { nodes, url, leafPorts, stop: async () => void (await Promise.all(nodes.map((n) => n.stop()))) };
  try {
    await waitForJetStream(url, options.domain ? { domain: options.domain } : {});
    await waitForReplicas(url, size);
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}

/** A leaf-node server (an edge site) joined to a cluster's leaf ports; with `domain`, it runs its own JetStream in that domain. */
export async function startNatsLeaf(leafPorts: number[], options: { domain?: string } = {}): Promise<NatsNode> {
  const remotes = leafPorts.map((p) => `"nats-leaf://127.0.0.1:${p}"`).join(", ");
  return startNatsWithConfig("leaf", (port, dir) =>
    [
      "server_name: leaf1",
      `listen: "127.0.0.1:${port}"`,
      ...(options.domain ? [`jetstream { store_dir: "${join(dir, "js")}", domain: ${options.domain} }`] : []),
      `leafnodes { remotes: [ { urls: [${remotes}] } ] }`,
    ].join("\n"),
  );
}

/** Polls until JetStream answers through `url` (bounded); a fresh cluster needs a meta leader first. */
export async function waitForJetStream(
  url: string,
  js: { domain?: string } = {},
  connectOptions: Partial<ConnectionOptions> = {},
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const nc = await connect({ servers: url.split(","), timeout: 1000, ...connectOptions }).catch((err: unknown) => {
      last = err;
      return undefined;
    });
    if (nc) {
      try {
        await (await nc.jetstreamManager({ timeout: 1000, ...js })).getAccountInfo();
        return;
      } catch (err) {
        last = err;
      } finally {
        await nc.close();
      }
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`JetStream at ${url} not ready within ${timeoutMs} ms: ${(last as Error)?.message}`);
}

/** Polls until a stream of `replicas` replicas can be created (then deletes it), bounded. */
async function waitForReplicas(url: string, replicas: number, timeoutMs = 30_000): Promise<void> {
  const nc = await connect({ servers: url.split(","), timeout: 1000 });
  try {
    const jsm = await nc.jetstreamManager({ timeout: 2000 });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await jsm.streams.add({ name: "WACTOR_REPLICAS_PROBE", subjects: ["wactor.replicas.probe"], num_replicas: replicas, storage: StorageType.Memory });
        await jsm.streams.delete("WACTOR_REPLICAS_PROBE");
        return;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`JetStream at ${url} cannot place ${replicas} replicas within ${timeoutMs} ms: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 300));
      }
    }
  } finally {
    await nc.close();
  }
}
