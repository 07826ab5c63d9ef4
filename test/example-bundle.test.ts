/**
 * The example bundle as a new user meets it: `npm run example:greeter` (the script it runs:
 * compile the AssemblyScript functions, `wactor bundle build`, `wactor bundle sign`,
 * `wactor up`), then curl the 3-step route (fn → group of 2 → fn) and the others.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

describe("examples/greeter", () => {
  it("builds, signs and serves with one command; the 3-step route answers", async () => {
    const child = spawn(process.execPath, ["scripts/example-bundle.mjs", "examples/greeter", "--up", "--port", "0", "--log-level", "warn"], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    try {
      const deadline = Date.now() + 90_000;
      while (!/listening http:\/\/[^/]+\//.test(out)) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the example did not come up:\n${out}\n${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(out).toContain("$ wactor bundle sign");
      const base = /listening (http:\/\/[^/]+)\//.exec(out)![1]!;
      const hello = await fetch(`${base}/hello`, { method: "POST", body: "world" });
      expect(hello.status).toBe(200);
      expect(hello.headers.get("content-type")).toBe("application/json");
      expect(await hello.json()).toEqual({ greeting: "Hello, world!", loud: "HELLO, WORLD!", count: 1 });
      // The counter lives in the bundle's cache: another handler's function reads it.
      expect(await (await fetch(`${base}/count`)).text()).toBe("2");
      const about = await fetch(`${base}/about`);
      expect([about.status, about.headers.get("content-type"), await about.text()]).toEqual([
        200,
        "text/markdown; charset=utf-8",
        expect.stringContaining("# greeter"),
      ]);
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
  }, 120_000);
});
