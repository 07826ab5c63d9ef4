#!/usr/bin/env node
// The servers the test suites start themselves (scripts/lib/servers.ts, the dashboard and
// registry suites): found on PATH, or installed here, so that `npm test` needs no other step.
// Missing ones are installed with apt-get when running as root on Debian or Ubuntu; anywhere
// else this stops at once with the exact command to run, instead of failing suites later.
import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";

/** Executable the tests run -> the Debian/Ubuntu package that provides it. */
const NEEDED = [
  ["redis-server", "redis-server"],
  ["nats-server", "nats-server"],
  ["chromium", "chromium"], // the dashboard's browser tests, through playwright-core
  ["docker-registry", "docker-registry"], // OCI registry tests (distribution 2.x)
];

function onPath(name) {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

function debianLike() {
  if (!existsSync("/etc/os-release")) return false;
  const text = readFileSync("/etc/os-release", "utf8");
  const field = (key) => (text.match(new RegExp(`^${key}="?([^"\\n]*)`, "m"))?.[1] ?? "").toLowerCase();
  return `${field("ID")} ${field("ID_LIKE")}`.split(/\s+/).some((id) => id === "debian" || id === "ubuntu");
}

const missing = () => NEEDED.filter(([bin]) => !onPath(bin)).map(([, pkg]) => pkg);

function run(command, args) {
  const result = spawnSync(command, args, { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  return result.status === 0;
}

const packages = missing();
if (packages.length === 0) {
  console.log(`test servers: ${NEEDED.map(([bin]) => bin).join(", ")} found`);
  process.exit(0);
}

const root = process.getuid?.() === 0;
if (!debianLike() || !root || !onPath("apt-get")) {
  const command = debianLike() ? `sudo apt-get update && sudo apt-get install -y ${packages.join(" ")}` : undefined;
  console.error(`test servers: missing ${packages.join(", ")}; the tests start them on loopback ports.`);
  console.error(command ? `run: ${command}` : `install these (Debian package names) with your system's package manager: ${packages.join(" ")}`);
  // Debian puts nats-server in /usr/sbin, which is not on an ordinary user's PATH.
  const offPath = NEEDED.filter(([bin]) => !onPath(bin) && existsSync(join("/usr/sbin", bin))).map(([bin]) => bin);
  if (offPath.length > 0) console.error(`(${offPath.join(", ")} already in /usr/sbin, which is not on PATH: export PATH="$PATH:/usr/sbin")`);
  process.exit(1);
}

console.log(`test servers: installing ${packages.join(" ")} with apt-get`);
if (!run("apt-get", ["update"]) || !run("apt-get", ["install", "-y", ...packages])) {
  console.error(`test servers: apt-get failed; run: apt-get update && apt-get install -y ${packages.join(" ")}`);
  process.exit(1);
}
const still = missing();
if (still.length > 0) {
  console.error(`test servers: installed, but still not on PATH: ${still.join(", ")} (PATH=${process.env.PATH})`);
  process.exit(1);
}
console.log("test servers: installed");
