/**
 * A real OCI registry for tests: Debian's `docker-registry` (distribution 2.8) on a free
 * loopback port, storage in a temporary directory; open, behind htpasswd basic auth
 * (bcrypt entries made here with bcryptjs, as distribution accepts bcrypt only), or behind
 * the bearer token flow with a token service of the test's own (token-server.ts).
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import bcrypt from "bcryptjs";
import { freePort, managed, type ServerHandle } from "./servers.js";
import { startTokenServer, type TokenServer } from "./token-server.js";

export interface RegistryHandle extends ServerHandle {
  /** `127.0.0.1:<port>`, the registry part of a reference. */
  host: string;
  /** Where the registry keeps its blobs. */
  dataDir: string;
  /** The token service, when the registry uses the bearer flow. */
  tokens?: TokenServer;
}

export interface RegistryOptions {
  /** user -> password; absent: the registry is open. */
  users?: Record<string, string>;
  /** With users: a token service checks them (bearer flow) instead of htpasswd. */
  tokenAuth?: boolean;
}

async function answersV2(port: number): Promise<boolean> {
  const response = await fetch(`http://127.0.0.1:${port}/v2/`, { signal: AbortSignal.timeout(1000) });
  await response.body?.cancel();
  return response.status === 200 || response.status === 401;
}

export async function startRegistry(options: RegistryOptions = {}): Promise<RegistryHandle> {
  const probe = spawnSync("docker-registry", ["--version"], { stdio: "ignore" });
  if (probe.error) throw new Error(`docker-registry not found: install the Debian package (apt-get install docker-registry) (${probe.error.message})`);
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), "wactor-registry-"));
  const dataDir = join(dir, "data");
  let auth = "";
  let tokens: TokenServer | undefined;
  if (options.users && options.tokenAuth) {
    tokens = await startTokenServer(dir, options.users);
    auth = `auth:\n  token:\n    realm: ${tokens.realm}\n    service: ${tokens.service}\n    issuer: ${tokens.issuer}\n    rootcertbundle: ${tokens.certFile}\n`;
  } else if (options.users) {
    const htpasswd = Object.entries(options.users)
      .map(([user, password]) => `${user}:${bcrypt.hashSync(password, 5)}`)
      .join("\n");
    await writeFile(join(dir, "htpasswd"), `${htpasswd}\n`);
    auth = `auth:\n  htpasswd:\n    realm: wactor-test\n    path: ${join(dir, "htpasswd")}\n`;
  }
  const config = join(dir, "config.yml");
  await writeFile(
    config,
    `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${dataDir}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n${auth}`,
  );
  const handle = await managed(
    () => spawn("docker-registry", ["serve", config], { stdio: "ignore" }),
    port,
    `http://127.0.0.1:${port}`,
    answersV2,
    "docker-registry",
    async () => {
      await tokens?.close();
      await rm(dir, { recursive: true, force: true });
    },
  );
  return { ...handle, host: `127.0.0.1:${port}`, dataDir, ...(tokens && { tokens }) };
}

/** Puts OCI_REGISTRY_USER / OCI_REGISTRY_PASSWORD back as they were in `saved` (a copy of process.env). */
export function restoreCredentialsEnv(saved: NodeJS.ProcessEnv): void {
  for (const name of ["OCI_REGISTRY_USER", "OCI_REGISTRY_PASSWORD"] as const) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
}
