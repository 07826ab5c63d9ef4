import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ACTOR_DEFAULTS } from "../src/host/host.js";
import { actor } from "./helpers/actors.js";
import { wactor } from "./helpers/cli.js";
import { freePort } from "./helpers/servers.js";
import { startUp, stopUp, waitForOutput } from "./helpers/up-process.js";

const dir = mkdtempSync(join(tmpdir(), "wactor-up-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function manifest(name: string, body: string): string {
  const file = join(dir, name);
  writeFileSync(file, body);
  return file;
}

async function portIsClosed(port: number): Promise<boolean> {
  return fetch(`http://127.0.0.1:${port}/`).then(
    () => false,
    () => true,
  );
}

describe("wactor up", () => {
  it("serves the echo actor, counts it in /metrics, and drains in-flight requests on SIGTERM", async () => {
    const [port, metricsPort] = [await freePort(), await freePort()];
    const file = manifest("echo.yaml", `actors: [${actor("echo").signedPath}]\ncapabilities: [{ id: wascc:http_server }]\nbindings:\n  - { actor: echo, capability: wascc:http_server, values: { PORT: "${port}" } }\n`);
    const up = startUp([file, "--metrics-port", String(metricsPort), "--log-level", "warn"]);
    try {
      await waitForOutput(up, "wactor host ready");
      expect(up.stdout()).toContain(`listening http://127.0.0.1:${port}/`);
      expect(up.stdout()).toMatch(new RegExp(`actor\\s+echo\\s+M[A-Z2-7]{55}\\s+instances=${ACTOR_DEFAULTS.instances}\\b`));
      const res = await fetch(`http://127.0.0.1:${port}/hello?x=1`, { method: "POST", body: "hi" });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ method: "POST", path: "/hello", query_string: "x=1", body: "hi" });
      for (let i = 0; i < 9; i++) expect((await fetch(`http://127.0.0.1:${port}/n${i}`)).status).toBe(200);
      const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      expect(metrics).toContain('wactor_invocations_total{actor="echo",operation="HandleRequest",outcome="ok"} 10');
      expect((await fetch(`http://127.0.0.1:${metricsPort}/readyz`)).status).toBe(200);

      // Requests in flight when SIGTERM arrives all complete.
      const inFlight = Array.from({ length: 40 }, (_, i) => fetch(`http://127.0.0.1:${port}/drain${i}`).then((r) => r.status));
      await new Promise((r) => setTimeout(r, 5));
      up.child.kill("SIGTERM");
      // A connection still in the listen backlog when the port closes is reset by the kernel
      // (ECONNRESET): never accepted, like a refused one. A request the server had read and
      // then dropped would end in UND_ERR_SOCKET ("other side closed").
      const neverAccepted = new Set(["ECONNREFUSED", "ECONNRESET"]);
      const statuses = await Promise.all(inFlight.map((p) => p.catch((e: { cause?: { code?: string } }) => (neverAccepted.has(e.cause?.code ?? "") ? "refused" : `cut: ${e.cause?.code}`))));
      // Each request completed with 200, or was never accepted: the port was already closed,
      // or it came on a kept-alive socket after closing began (503). None was cut.
      expect(statuses.filter((s) => s !== 200 && s !== 503 && s !== "refused")).toEqual([]);
      expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(0);
      expect(await up.exited).toBe(0);
      expect(up.stdout()).toContain("wactor: stopped");
      expect(await portIsClosed(port)).toBe(true);
    } finally {
      await stopUp(up);
    }
  });

  it("refuses a tampered actor at start with the code and leaves no port open", async () => {
    const port = await freePort();
    const tampered = join(dir, "echo_tampered.wasm");
    copyFileSync(actor("echo").signedPath, tampered);
    const bytes = new Uint8Array(readFileSync(tampered));
    bytes[200] = bytes[200]! ^ 0xff;
    writeFileSync(tampered, bytes);
    const file = manifest("tampered.yaml", `actors: [${tampered}]\nbindings:\n  - { actor: echo, capability: wascc:http_server, values: { PORT: "${port}" } }\n`);
    const up = startUp([file, "--log-level", "silent"]);
    const code = await up.exited;
    expect(code).not.toBe(0);
    expect(up.stderr()).toMatch(/WACTOR_ERR_(HASH_MISMATCH|TRUNCATED_MODULE)/);
    expect(await portIsClosed(port)).toBe(true);
  });

  it("rejects a bad manifest before starting anything, naming file, line and field", () => {
    const file = manifest("bad.yaml", "actors:\n  - { path: x.wasm, instances: zero }\n");
    const result = wactor(["up", file]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("WACTOR_ERR_MANIFEST");
    expect(result.stderr).toContain(`${file}:2: actors[0].instances`);
  });

  it("releases the first binding's port when a later binding fails (all or nothing)", async () => {
    const [port, busy] = [await freePort(), await freePort()];
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(busy, "127.0.0.1", resolve));
    try {
      const file = manifest("clash.yaml", `actors: [${actor("echo").signedPath}]\nbindings:\n  - { actor: echo, capability: wascc:http_server, values: { PORT: "${port}" } }\n  - { actor: echo, capability: wascc:http_server, binding: second, values: { PORT: "${busy}" } }\n`);
      const result = wactor(["up", file, "--log-level", "silent"]);
      expect(result.status).not.toBe(0);
      expect(result.stderr).toContain("WACTOR_ERR_PORT_IN_USE");
      expect(await portIsClosed(port)).toBe(true);
    } finally {
      blocker.close();
    }
  });
});

describe("wactor call", () => {
  it("calls HandleRequest on the echo actor and prints the decoded reply", () => {
    const result = wactor(["call", actor("echo").signedPath, "HandleRequest", "--data", '{"method":"PUT","path":"/x","body":"hey"}']);
    expect(result.status).toBe(0);
    const reply = JSON.parse(result.stdout);
    expect(reply).toMatchObject({ statusCode: 200, body: { method: "PUT", path: "/x", body: "hey" } });
  });

  it("calls raw operations and actors of a manifest by name", () => {
    expect(JSON.parse(wactor(["call", actor("ponger").signedPath, "Ping", "--raw", "x"]).stdout)).toBe("pong:x");
    const file = manifest("kv.yaml", `actors: [${actor("kvcounter").signedPath}]\nbindings:\n  - { actor: kvcounter, capability: wascc:keyvalue }\n`);
    const result = wactor(["call", "kvcounter", "HandleRequest", "--data", '{"path":"/a/b"}', "--manifest", file]);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ statusCode: 200, body: { counter: 1 } });
  });

  it("shows a denial and a trap as errors with their codes", () => {
    const sneaky = wactor(["call", actor("sneaky").signedPath, "HandleRequest"]);
    expect(sneaky.status).toBe(0);
    expect(JSON.parse(sneaky.stdout).statusCode).toBe(500);
    expect(sneaky.stdout).toContain("Permission denied");
    const panic = wactor(["call", actor("panicker").signedPath, "Panic"]);
    expect(panic.status).toBe(1);
    expect(panic.stderr).toContain("WACTOR_ERR_TRAP");
    const missing = wactor(["call", "nobody", "Ping"]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain("WACTOR_ERR_ACTOR_NOT_FOUND");
  });
});

describe("wactor up --watch", () => {
  it("live-updates a changed actor file under load with zero failed requests, and refuses another subject", async () => {
    const { KeyPair } = await import("../src/claims/nkeys.js");
    const { signModule } = await import("../src/claims/sign.js");
    const keys = join(actor("echo").signedPath, "..", "keys");
    const issuer = KeyPair.fromSeed(readFileSync(join(keys, "account.nk"), "utf8"));
    const subject = KeyPair.fromSeed(readFileSync(join(keys, "echo_module.nk"), "utf8"));
    const unsigned = new Uint8Array(readFileSync(actor("echo").path));
    const wasm = join(dir, "watched_echo.wasm");
    writeFileSync(wasm, (await signModule(unsigned, { issuer, subject, caps: ["wascc:http_server"], name: "echo", ver: "1" })).bytes);
    const port = await freePort();
    const file = manifest("watch.yaml", `actors: [${wasm}]\nbindings:\n  - { actor: echo, capability: wascc:http_server, values: { PORT: "${port}" } }\n`);
    const up = startUp([file, "--watch", "--log-level", "info"]);
    try {
      await waitForOutput(up, "wactor host ready");
      let running = true;
      const statuses: number[] = [];
      const load = Promise.all(
        Array.from({ length: 4 }, async () => {
          for (let i = 0; running && i < 100_000; i++) statuses.push(await fetch(`http://127.0.0.1:${port}/w${i}`).then((r) => r.status, () => -1));
        }),
      );
      await new Promise((r) => setTimeout(r, 200));
      writeFileSync(wasm, (await signModule(unsigned, { issuer, subject, caps: ["wascc:http_server"], name: "echo", ver: "2" })).bytes);
      for (let i = 0; i < 200 && !up.stderr().includes("live update applied"); i++) await new Promise((r) => setTimeout(r, 50));
      expect(up.stderr()).toContain("live update applied");
      writeFileSync(wasm, (await signModule(unsigned, { issuer, subject: KeyPair.create("module"), caps: ["wascc:http_server"], name: "impostor" })).bytes);
      for (let i = 0; i < 200 && !up.stderr().includes("WACTOR_ERR_SUBJECT_MISMATCH"); i++) await new Promise((r) => setTimeout(r, 50));
      expect(up.stderr()).toContain("WACTOR_ERR_SUBJECT_MISMATCH");
      await new Promise((r) => setTimeout(r, 200));
      running = false;
      await load;
      expect(statuses.length).toBeGreaterThan(50);
      expect(statuses.filter((s) => s !== 200)).toEqual([]);
    } finally {
      await stopUp(up);
    }
  });
});
