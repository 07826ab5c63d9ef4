import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { ACTOR_DEFAULTS } from "../src/host/host.js";
import { actor } from "./helpers/actors.js";
import { wactor } from "./helpers/cli.js";
import { freePort } from "./helpers/servers.js";
import { tamperCode } from "./helpers/tamper.js";
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

/** A wascc:keyvalue provider module whose Add waits until `<dir>/release` exists; each held call appends a line to `<dir>/held`. */
function gateProvider(gateDir: string): string {
  const codec = join(fileURLToPath(new URL("../dist/src/codec/mod.js", import.meta.url)));
  return `import { appendFileSync, existsSync } from "node:fs";
import { encodeKeyValueResponse } from ${JSON.stringify(codec)};
const dir = ${JSON.stringify(gateDir)};
export default () => {
  let counter = 0;
  return {
    capabilityId: "wascc:keyvalue",
    name: "gate",
    async start() {},
    async stop() {},
    async bind() {},
    async unbind() {},
    bindingStatus: () => ({ state: "ok" }),
    async handleCall() {
      appendFileSync(dir + "/held", "x\\n");
      for (let i = 0; i < 6000 && !existsSync(dir + "/release"); i++) await new Promise((r) => setTimeout(r, 10));
      counter += 1;
      return encodeKeyValueResponse("Add", { value: counter });
    },
  };
};
`;
}

function heldCalls(gateDir: string): number {
  return existsSync(join(gateDir, "held")) ? readFileSync(join(gateDir, "held"), "utf8").split("\n").filter(Boolean).length : 0;
}

/** Polls a condition, bounded (60 s). */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (const deadline = Date.now() + 60_000; !condition(); await new Promise((r) => setTimeout(r, 20))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
  }
}

describe("wactor up", () => {
  it("serves the echo actor, counts it in /metrics, and stops cleanly on SIGTERM", async () => {
    const [port, metricsPort] = [await freePort(), await freePort()];
    const file = manifest(
      "echo.yaml",
      `actors: [${actor("echo").signedPath}]\ncapabilities: [{ id: wascc:http_server }]\nbindings:\n  - { actor: echo, capability: wascc:http_server, values: { PORT: "${port}" } }\n`,
    );
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

      up.child.kill("SIGTERM");
      expect(await up.exited).toBe(0);
      expect(up.stdout()).toContain("wactor: stopped");
      expect(await portIsClosed(port)).toBe(true);
    } finally {
      await stopUp(up);
    }
  });

  it("on SIGTERM, every request accepted before it gets its real answer", async () => {
    // The key-value provider is a gate: each Add waits there until the test opens it. So the
    // requests are provably inside the host (held in the actor) when the signal arrives.
    const REQUESTS = 8;
    const port = await freePort();
    const gate = mkdtempSync(join(dir, "gate-"));
    writeFileSync(join(gate, "provider.mjs"), gateProvider(gate));
    const file = manifest(
      "drain.yaml",
      `actors: [{ path: ${actor("kvcounter").signedPath}, instances: ${REQUESTS} }]\n` +
        `capabilities: [{ id: wascc:http_server }, { path: ${join(gate, "provider.mjs")} }]\n` +
        `bindings:\n  - { actor: kvcounter, capability: wascc:http_server, values: { PORT: "${port}" } }\n  - { actor: kvcounter, capability: wascc:keyvalue }\n`,
    );
    const up = startUp([file, "--log-level", "warn"]);
    try {
      await waitForOutput(up, "wactor host ready");
      const answers = Array.from({ length: REQUESTS }, () =>
        fetch(`http://127.0.0.1:${port}/drain`).then(async (r) => ({ status: r.status, body: await r.text() })),
      );
      await until(() => heldCalls(gate) === REQUESTS, "every request held in the gate");
      up.child.kill("SIGTERM");
      await waitForOutput(up, "draining in-flight invocations");
      writeFileSync(join(gate, "release"), "");
      const results = await Promise.all(answers);
      expect(results.map((r) => r.status)).toEqual(Array(REQUESTS).fill(200));
      // Real answers: each request's own increment, 1 to N, none lost or repeated.
      const counters = results.map((r) => (JSON.parse(r.body) as { counter: number }).counter).sort((a, b) => a - b);
      expect(counters).toEqual(Array.from({ length: REQUESTS }, (_, i) => i + 1));
      expect(await up.exited).toBe(0);
      expect(up.stdout()).toContain("wactor: stopped");
      expect(await portIsClosed(port)).toBe(true);
    } finally {
      writeFileSync(join(gate, "release"), "");
      await stopUp(up);
    }
  });

  it("refuses a tampered actor at start with the code and leaves no port open", async () => {
    const port = await freePort();
    const tampered = join(dir, "echo_tampered.wasm");
    writeFileSync(tampered, tamperCode(new Uint8Array(readFileSync(actor("echo").signedPath))));
    const file = manifest(
      "tampered.yaml",
      `actors: [${tampered}]\nbindings:\n  - { actor: echo, capability: wascc:http_server, values: { PORT: "${port}" } }\n`,
    );
    const up = startUp([file, "--log-level", "silent"]);
    const code = await up.exited;
    expect(code).not.toBe(0);
    expect(up.stderr()).toContain("error[WACTOR_ERR_HASH_MISMATCH]");
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
      const file = manifest(
        "clash.yaml",
        `actors: [${actor("echo").signedPath}]\nbindings:\n  - { actor: echo, capability: wascc:http_server, values: { PORT: "${port}" } }\n  - { actor: echo, capability: wascc:http_server, binding: second, values: { PORT: "${busy}" } }\n`,
      );
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
          for (let i = 0; running && i < 100_000; i++)
            statuses.push(
              await fetch(`http://127.0.0.1:${port}/w${i}`).then(
                (r) => r.status,
                () => -1,
              ),
            );
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
