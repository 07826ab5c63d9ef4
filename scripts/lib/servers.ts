/**
 * Real redis-server and nats-server processes for integration tests, on free loopback ports.
 * Each handle can be stopped (the process is killed and reaped) and restarted on the same port,
 * which is how tests take a backing service away and bring it back.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface ServerHandle {
  url: string;
  port: number;
  /** Kills the process and waits until it has exited, then removes its data. */
  stop(): Promise<void>;
  /** Kills the process (SIGKILL) and keeps its data, for a later `restart`. */
  kill(): Promise<void>;
  /** Starts the process again on the same port and waits until it is ready. */
  restart(): Promise<void>;
  /** Freezes the process (SIGSTOP): its sockets stay open and nothing answers — a hung server. */
  pause(): void;
  /** Lets a paused process run again (SIGCONT). */
  resume(): void;
}

const MISSING =
  "redis-server/nats-server not found: install the Debian packages (apt-get install redis-server nats-server) — npm test does this (scripts/test-servers.mjs)";

/** A port nobody listens on right now (the OS picks it, we release it). */
/**
 * A free port below the kernel's ephemeral range (32768 and up), for a server that is killed
 * and restarted on the same port: while it is down, an ephemeral port (an outgoing
 * connection's, or another process's `freePort()`) can take its port and the restart fails.
 */
export async function stablePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.unref();
      server.once("error", () => resolve(false));
      server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error("no free port in 20000-31999");
}

/** Ports this process handed out: the OS may give a just-released port again, and a test asking twice wants two. */
const handedOut = new Set<number>();

export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await osPort();
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error("no port the OS offered was new to this process (50 tries)");
}

function osPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export function requireBinary(name: string, probeArg: string): void {
  const probe = spawnSync(name, [probeArg], { stdio: "ignore" });
  if (probe.error) throw new Error(`${MISSING} (${name}: ${probe.error.message})`);
}

/** Resolves once a TCP connection to the port succeeds and `ready` says so, or rejects on timeout/exit. */
async function waitUntilReady(child: ChildProcess, port: number, ready: (port: number) => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited early (code ${child.exitCode}, signal ${child.signalCode})`);
    if (await ready(port).catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} on port ${port} not ready within ${timeoutMs} ms`);
}

/** Sends `probe` over a fresh TCP connection and resolves true when the answer contains `expect`. */
export function tcpProbe(port: number, probe: string, expect: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    let data = "";
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on("error", () => done(false));
    socket.on("connect", () => socket.write(probe));
    socket.on("data", (chunk) => {
      data += chunk.toString();
      if (data.includes(expect)) done(true);
    });
  });
}

async function kill(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGKILL");
  await exited;
}

export async function managed(
  spawnOnce: () => ChildProcess,
  port: number,
  url: string,
  ready: (port: number) => Promise<boolean>,
  what: string,
  cleanup?: () => Promise<void>,
): Promise<ServerHandle> {
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    child = spawnOnce();
    child.on("error", () => {}); // reported through waitUntilReady's exit check
    try {
      await waitUntilReady(child, port, ready, what);
    } catch (err) {
      await kill(child);
      throw err;
    }
  };
  await start();
  return {
    url,
    port,
    stop: async () => {
      await kill(child);
      await cleanup?.();
    },
    kill: () => kill(child),
    pause: () => child?.kill("SIGSTOP"),
    resume: () => child?.kill("SIGCONT"),
    restart: async () => {
      await kill(child);
      await start();
    },
  };
}

/**
 * `durable`: every write is fsynced to an append-only file, so a killed server loses nothing it
 * acknowledged; its port is a stable one, since it is meant to be killed and restarted there.
 */
export async function startRedis(options: { durable?: boolean } = {}): Promise<ServerHandle> {
  requireBinary("redis-server", "--version");
  const port = options.durable ? await stablePort() : await freePort();
  const dataDir = options.durable ? await mkdtemp(join(tmpdir(), "wactor-redis-")) : undefined;
  const persistence = dataDir ? ["--appendonly", "yes", "--appendfsync", "always", "--dir", dataDir] : ["--appendonly", "no"];
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", ...persistence];
  return managed(
    () => spawn("redis-server", args, { stdio: "ignore" }),
    port,
    `redis://127.0.0.1:${port}`,
    (p) => tcpProbe(p, "PING\r\n", "+PONG"),
    "redis-server",
    dataDir ? () => rm(dataDir, { recursive: true, force: true }) : undefined,
  );
}

/** `maxStoreBytes` caps JetStream's file storage (a full disk, as far as the lattice can tell). */
export async function startNats(options: { jetstream?: boolean; maxStoreBytes?: number } = {}): Promise<ServerHandle> {
  requireBinary("nats-server", "--version");
  const port = await freePort();
  const storeDir = options.jetstream ? await mkdtemp(join(tmpdir(), "wactor-nats-")) : undefined;
  const args = ["-a", "127.0.0.1", "-p", String(port), ...(storeDir ? ["-js", "-sd", storeDir] : [])];
  if (storeDir && options.maxStoreBytes !== undefined) {
    // Storage limits exist only in a configuration file.
    const config = join(storeDir, "limits.conf");
    await writeFile(
      config,
      `jetstream { store_dir: "${join(storeDir, "js")}", max_file_store: ${options.maxStoreBytes}, max_memory_store: ${options.maxStoreBytes} }\n`,
    );
    args.splice(args.indexOf("-js"), 3, "-c", config);
  }
  return managed(
    () => spawn("nats-server", args, { stdio: "ignore" }),
    port,
    `nats://127.0.0.1:${port}`,
    (p) => tcpProbe(p, "", "INFO "),
    "nats-server",
    storeDir ? () => rm(storeDir, { recursive: true, force: true }) : undefined,
  );
}
