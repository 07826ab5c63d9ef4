import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "./helpers/servers.js";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "wactor-dev-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function until(check: () => boolean | Promise<boolean>, what: string, output: () => string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}:\n${output()}`);
}

describe("wactor dev", () => {
  it("builds, signs and serves an AssemblyScript actor, live-updates it on edit, and survives a build error", async () => {
    cpSync(join(ROOT, "actors/sdk"), join(dir, "sdk"), { recursive: true });
    cpSync(join(ROOT, "actors/echo"), join(dir, "hello"), { recursive: true });
    const source = join(dir, "hello/index.ts");
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [join(ROOT, "bin/wactor.js"), "dev", join(dir, "hello"), "--port", String(port), "--cap", "wascc:http_server", "--log-level", "warn"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    try {
      await until(
        () => out.includes("serving on"),
        "first build",
        () => out,
      );
      const first = await (await fetch(`http://127.0.0.1:${port}/a`)).json();
      expect(first).toMatchObject({ path: "/a" });

      writeFileSync(source, readFileSync(source, "utf8").replace('"{\\"method\\":"', '"{\\"edited\\":true,\\"method\\":"'));
      await until(
        async () => JSON.stringify(await (await fetch(`http://127.0.0.1:${port}/b`)).json()).includes('"edited":true'),
        "the edit to serve",
        () => out,
      );
      // The new version serves as soon as it is swapped in; the line follows once the old one drained.
      await until(
        () => out.includes("updated in"),
        "the update to be reported",
        () => out,
      );

      writeFileSync(source, `${readFileSync(source, "utf8")}\nthis is not AssemblyScript(\n`);
      await until(
        () => out.includes("build failed"),
        "the build error",
        () => out,
      );
      expect((await fetch(`http://127.0.0.1:${port}/c`)).status).toBe(200);
    } finally {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    }
  });

  it(
    "a bundle project: compiles its runnables, signs and serves the bundle, swaps in an edit, and keeps serving through a build error",
    { timeout: 90_000 },
    async () => {
      // The example's layout, so its sources' relative import of the runnable SDK resolves.
      for (const sdk of ["actors/runnable-sdk", "actors/sdk"]) cpSync(join(ROOT, sdk), join(dir, sdk), { recursive: true });
      cpSync(join(ROOT, "examples/greeter"), join(dir, "examples/greeter"), {
        recursive: true,
        filter: (src) => !src.includes("/build") && !src.endsWith(".wasm"),
      });
      const project = join(dir, "examples/greeter");
      const source = join(project, "runnables/greet/index.ts");
      const port = await freePort();
      const child = spawn(
        process.execPath,
        [join(ROOT, "bin/wactor.js"), "dev", project, "--port", String(port), "--cap", "wascc:logging", "--cap", "count=wascc:keyvalue", "--log-level", "warn"],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      let out = "";
      child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      child.stderr.on("data", (d: Buffer) => (out += d.toString()));
      const hello = async (): Promise<string> => (await fetch(`http://127.0.0.1:${port}/hello`, { method: "POST", body: "dev" })).text();
      try {
        await until(
          () => out.includes("serving on"),
          "first build",
          () => out,
        );
        expect(out).toContain("bundle com.example.greeter v0.1.0 (5 functions)");
        expect(JSON.parse(await hello())).toMatchObject({ greeting: "Hello, dev!", loud: "HELLO, DEV!" });

        writeFileSync(source, readFileSync(source, "utf8").replace('"Hello, "', '"Howdy, "'));
        await until(
          async () => (await hello().catch(() => "")).includes("Howdy, dev!"),
          "the edit to serve",
          () => out,
        );
        expect(out).toContain("updated com.example.greeter");

        writeFileSync(source, `${readFileSync(source, "utf8")}\nthis is not AssemblyScript(\n`);
        await until(
          () => out.includes("build failed"),
          "the build error",
          () => out,
        );
        expect(out).toContain("greet:");
        expect(JSON.parse(await hello())).toMatchObject({ greeting: "Howdy, dev!" });
      } finally {
        child.kill("SIGTERM");
        await new Promise((r) => child.once("exit", r));
      }
    },
  );
});
