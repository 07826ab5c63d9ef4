/**
 * `wactor new actor`, run exactly as a new user would: in an empty folder outside this
 * repository, `wactor new actor hello`, then `npm install` and `npm run build` there (wactor
 * comes from this checkout, assemblyscript from the npm registry), then `npx wactor call`
 * and `wactor dev` on the result.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { wactorDependency } from "../src/scaffold/actor-project.js";
import { BIN, wactor } from "./helpers/cli.js";
import { freePort } from "./helpers/servers.js";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "wactor-new-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const project = join(work, "hello");

/** A shell-level command in the project, as typed there; bounded in time. */
function sh(command: string, args: string[], timeout = 240_000): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(command, args, { cwd: project, encoding: "utf8", timeout, env: { ...process.env, npm_config_audit: "false", npm_config_fund: "false" } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("wactor new actor", () => {
  it("lists its templates in --help", () => {
    const result = wactor(["new", "--help"]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/Templates[^\n]*:\n\s+assemblyscript\s+an HTTP hello actor/);
  });

  it("creates hello/ outside the repository; npm install && npm run build there; wactor call answers 200", { timeout: 600_000 }, async () => {
    expect(work.startsWith(ROOT)).toBe(false);
    const created = wactor(["new", "actor", "hello"], { cwd: work });
    expect(created.stderr).toBe("");
    expect(created.status).toBe(0);
    for (const file of ["package.json", "index.ts", "README.md", ".gitignore", ".wactor/account.nk", ".wactor/module.nk"])
      expect(existsSync(join(project, file)), file).toBe(true);
    expect(statSync(join(project, ".wactor/account.nk")).mode & 0o077).toBe(0);
    const pkg = JSON.parse(readFileSync(join(project, "package.json"), "utf8")) as { devDependencies: Record<string, string> };
    expect(pkg.devDependencies.wactor).toBe(`file:${ROOT.replace(/\/$/, "")}`);

    // --ignore-scripts: installing `file:<repo>` would run the repository's `prepare` (tsc into
    // dist/, build-actors) while the other test files run the CLI from dist/; pretest built it.
    const install = sh("npm", ["install", "--ignore-scripts"]);
    expect(install.stderr).not.toMatch(/npm (ERR|error)/);
    expect(install.status).toBe(0);

    const build = sh("npm", ["run", "build"]);
    expect(build.stdout + build.stderr).toContain("Signed build/hello_s.wasm");
    expect(build.status).toBe(0);

    const call = sh("npx", ["wactor", "call", "build/hello_s.wasm", "HandleRequest", "--data", '{"path":"/there"}'], 60_000);
    expect(call.stderr).toBe("");
    expect(call.status).toBe(0);
    expect(JSON.parse(call.stdout)).toMatchObject({ statusCode: 200, body: { hello: "/there", from: "hello" } });

    const inspect = sh("npx", ["wactor", "claims", "inspect", "build/hello_s.wasm", "--json"], 60_000);
    expect(JSON.parse(inspect.stdout)).toMatchObject({ valid: true, claims: { name: "hello", caps: ["wascc:http_server"] } });

    // `wactor dev hello`, from the folder above the project, serves the same actor.
    const port = await freePort();
    const dev = spawn(process.execPath, [BIN, "dev", "hello", "--port", String(port), "--log-level", "warn"], { cwd: work, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    dev.stdout.on("data", (d: Buffer) => (out += d.toString()));
    dev.stderr.on("data", (d: Buffer) => (out += d.toString()));
    try {
      for (let i = 0; i < 1200 && !out.includes("serving on") && !out.includes("build failed"); i++) await new Promise((r) => setTimeout(r, 50));
      expect(out).toContain("serving on");
      const reply = await fetch(`http://127.0.0.1:${port}/dev`);
      expect(reply.status).toBe(200);
      expect(await reply.json()).toEqual({ hello: "/dev", from: "hello" });
    } finally {
      dev.kill("SIGTERM");
      await new Promise((r) => dev.once("exit", r));
    }
  });

  it("refuses a folder that is not empty, an unknown template and a bad name", () => {
    const taken = join(work, "taken");
    mkdirSync(taken);
    writeFileSync(join(taken, "keep.txt"), "mine");
    const exists = wactor(["new", "actor", "taken"], { cwd: work });
    expect(exists.status).toBe(1);
    expect(exists.stderr).toContain("error[WACTOR_ERR_TARGET_EXISTS]");
    expect(readFileSync(join(taken, "keep.txt"), "utf8")).toBe("mine");
    const template = wactor(["new", "actor", "other", "--template", "cobol"], { cwd: work });
    expect(template.stderr).toContain("error[WACTOR_ERR_BAD_ARGUMENT]");
    expect(template.stderr).toContain("templates: assemblyscript");
    expect(wactor(["new", "actor", "Bad_Name"], { cwd: work }).stderr).toContain("error[WACTOR_ERR_BAD_ARGUMENT]");
    expect(existsSync(join(work, "other"))).toBe(false);
  });

  it("takes a path ending in the name, for a checkout's user who wants the project elsewhere", () => {
    const result = wactor(["new", "actor", "../elsewhere/hello2"], { cwd: join(work, "taken") });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("cd ../elsewhere/hello2");
    expect(JSON.parse(readFileSync(join(work, "elsewhere/hello2/package.json"), "utf8"))).toMatchObject({ name: "hello2" });
    expect(readFileSync(join(work, "elsewhere/hello2/index.ts"), "utf8")).toContain("// hello2: an HTTP actor");
  });

  it("depends on the registry's wactor when this wactor was installed from it", () => {
    expect(wactorDependency({ root: "/home/u/app/node_modules/wactor", version: "0.3.1" })).toBe("^0.3.1");
    expect(wactorDependency({ root: "/root/.npm/_npx/1f2e/node_modules/wactor", version: "0.3.1" })).toBe("^0.3.1");
    expect(wactorDependency({ root: "/src/wactor", version: "0.3.1" })).toBe("file:/src/wactor");
  });
});
