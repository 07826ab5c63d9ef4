/**
 * `npm test` provisions its own servers (scripts/test-servers.mjs, run by `pretest`). Run as
 * a user would meet it: with everything installed; as root on this Debian machine with none
 * of them on PATH (apt-get is a stand-in on PATH that records its arguments and "installs"
 * stub executables, so the test changes nothing on the machine); and as an ordinary user,
 * who gets the exact command to run.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const SCRIPT = fileURLToPath(new URL("../scripts/test-servers.mjs", import.meta.url));
const PACKAGES = "redis-server nats-server chromium docker-registry";
const dirs: string[] = [];
const root = process.getuid?.() === 0;
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function emptyPathDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "wactor-path-"));
  chmodSync(dir, 0o755);
  dirs.push(dir);
  return dir;
}

const run = (command: string, args: string[], env: Record<string, string>) => spawnSync(command, args, { encoding: "utf8", env, timeout: 20_000 });

describe("npm test provisions the servers it needs", () => {
  it("finds redis-server, nats-server, chromium and docker-registry on this machine", () => {
    const result = run(process.execPath, [SCRIPT], { PATH: process.env.PATH ?? "" });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("redis-server, nats-server, chromium, docker-registry found");
  });

  // Only root may install; skipped (and reported as skipped) for anyone else.
  it.skipIf(!root)("as root on Debian, installs the missing ones with apt-get update && apt-get install -y", () => {
    const bin = emptyPathDir();
    const log = join(bin, "apt-get.log");
    // Stand-in apt-get: records each call; `install` puts an executable per package on PATH.
    writeFileSync(
      join(bin, "apt-get"),
      `#!/bin/sh\necho "$DEBIAN_FRONTEND $*" >> ${log}\nif [ "$1" = install ]; then shift 2; for p in "$@"; do printf '#!/bin/sh\\n' > ${bin}/$p; /bin/chmod +x ${bin}/$p; done; fi\n`,
      { mode: 0o755 },
    );
    const result = run(process.execPath, [SCRIPT], { PATH: bin });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`installing ${PACKAGES} with apt-get`);
    expect(readFileSync(log, "utf8")).toBe(`noninteractive update\nnoninteractive install -y ${PACKAGES}\n`);
  });

  it("as an ordinary user, stops at once with the exact command", () => {
    const bin = emptyPathDir();
    const asUser = [process.execPath, SCRIPT];
    const result = root
      ? run("runuser", ["-u", "nobody", "--", "/usr/bin/env", `PATH=${bin}`, ...asUser], { PATH: process.env.PATH ?? "" })
      : run(asUser[0]!, asUser.slice(1), { PATH: bin });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`missing redis-server, nats-server, chromium, docker-registry`);
    expect(result.stderr).toContain(`run: sudo apt-get update && sudo apt-get install -y ${PACKAGES}`);
  });
});
