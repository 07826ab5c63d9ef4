/**
 * The catalog promise: every failure wactor reports carries a code of ERROR_CATALOG.
 * 1. A scan of the sources (src/, capabilities/, ui/, bin/): a `WACTOR_ERR_*` code the
 *    catalog lacks fails here, so CI (`npm test`) fails.
 * 2. A walk of every surface that produces an error body or a CLI error (HTTP provider,
 *    dashboard, CLI incl. commander's usage errors, lattice invocation, control interface),
 *    asserting the exact code each case must give and that it is in the catalog.
 */
import { readdirSync, readFileSync } from "node:fs";
import { connect as connectSocket } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { connect as connectNats } from "nats";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HttpServerProvider } from "../capabilities/http-server/mod.js";
import { KeyPair } from "../src/claims/nkeys.js";
import { decodeHttpRequest, encodeHttpRequest, encodeHttpResponse } from "../src/codec/mod.js";
import { ERROR_CATALOG, WactorError } from "../src/errors.js";
import type { ActorIdentity, ProviderContext } from "../src/provider/contract.js";
import { ControlClient } from "../src/lattice/mod.js";
import { latticeSubjects } from "../src/lattice/wire/subjects.js";
import { startDashboard, type Dashboard } from "../src/ui/server.js";
import { actor } from "./helpers/actors.js";
import { wactorAsync, type CliResult } from "./helpers/cli.js";
import { codeOf } from "./helpers/code-of.js";
import { eventually } from "./helpers/eventually.js";
import { joinMember, leaveMember, type Member } from "./helpers/lattice-member.js";
import { freePort, startNats, type ServerHandle } from "./helpers/servers.js";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const CODE = /\bWACTOR_ERR_[A-Z0-9_]*[A-Z0-9]\b/g;
const inCatalog = (code: string): boolean => Object.hasOwn(ERROR_CATALOG, code);

/** Every `WACTOR_ERR_*` token of a text that is not a catalog code, with its line. */
export function unknownCodes(text: string, file: string): string[] {
  const found: string[] = [];
  text.split("\n").forEach((line, i) => {
    for (const [code] of line.matchAll(CODE)) if (!inCatalog(code)) found.push(`${file}:${i + 1}: ${code}`);
  });
  return found;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "node_modules" || entry.name === "build" ? [] : sourceFiles(path);
    return /\.(ts|js|mjs)$/.test(entry.name) ? [path] : [];
  });
}

describe("the catalog covers every code in the sources", () => {
  it("finds an unknown code when there is one (the scan can fail)", () => {
    expect(unknownCodes('throw new WactorError("WACTOR_ERR_NOT_WASM");\nconst c = "WACTOR_ERR_MADE_UP";', "x.ts")).toEqual(["x.ts:2: WACTOR_ERR_MADE_UP"]);
  });

  it("src/, capabilities/, ui/ and bin/ use only catalog codes", () => {
    const files = ["src", "capabilities", "ui", "bin"].flatMap((dir) => sourceFiles(join(ROOT, dir)));
    expect(files.length).toBeGreaterThan(50);
    const unknown = files.flatMap((file) => unknownCodes(readFileSync(file, "utf8"), file.slice(ROOT.length)));
    expect(unknown).toEqual([]);
  });

  it("every catalog entry has a message and an HTTP-ish status", () => {
    for (const [code, entry] of Object.entries(ERROR_CATALOG)) {
      expect(code).toMatch(/^WACTOR_ERR_[A-Z0-9_]+$/);
      expect(entry.status).toBeGreaterThanOrEqual(400);
      expect(entry.status).toBeLessThan(600);
      expect(entry.message.length).toBeGreaterThan(20);
    }
  });
});

/** Asserts a code is the expected one and in the catalog. */
function expectCode(where: string, code: unknown, expected: string): void {
  expect(code, where).toBe(expected);
  expect(inCatalog(String(code)), `${where}: ${String(code)} is not in ERROR_CATALOG`).toBe(true);
}

/** A raw HTTP/1.1 exchange, for requests fetch() refuses to send. */
function rawHttp(port: number, request: string, host = "127.0.0.1"): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connectSocket(port, host, () => socket.write(request));
    let data = "";
    socket.setEncoding("utf8").on("data", (chunk: string) => (data += chunk));
    socket.on("close", () => resolve(data));
    socket.on("error", reject);
    socket.setTimeout(5000, () => socket.destroy());
  });
}
const jsonBodyOf = (raw: string): unknown => JSON.parse(raw.slice(raw.indexOf("\r\n\r\n") + 4));

describe("the HTTP provider's error bodies", () => {
  const actor: ActorIdentity = { key: "MERRORS", issuer: "AISSUER", caps: ["wascc:http_server"] };
  const context: ProviderContext = {
    logger: pino({ level: "silent" }),
    deliver: async (_key, _binding, _op, payload) => {
      const { path } = decodeHttpRequest(payload);
      if (path === "/guest") throw new WactorError("WACTOR_ERR_GUEST_ERROR", "boom");
      if (path === "/bug") throw new TypeError("cannot read properties of undefined");
      if (path === "/bad-reply") return new Uint8Array([0xc1]);
      return encodeHttpResponse({ statusCode: 200, status: "OK", header: {}, body: new Uint8Array() });
    },
  };
  const provider = new HttpServerProvider();
  let port = 0;
  beforeAll(async () => {
    await provider.start(context);
    await provider.bind(actor, "default", { PORT: "0", MAX_BODY: "16" });
    port = provider.address(actor.key, "default")!.port;
  });
  afterAll(() => provider.stop());

  it.each([
    ["/guest", "x", 500, "WACTOR_ERR_GUEST_ERROR"],
    ["/bug", "x", 500, "WACTOR_ERR_INTERNAL"],
    ["/bad-reply", "x", 500, "WACTOR_ERR_BAD_PAYLOAD"],
    ["/ok", "x".repeat(17), 413, "WACTOR_ERR_BODY_TOO_LARGE"],
  ])("%s with a %s body", async (path, body, status, code) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { method: "POST", body });
    expect(res.status).toBe(status);
    const error = ((await res.json()) as { error: { code: string; message: string } }).error;
    expectCode(`POST ${path}`, error.code, code);
    expect(error.message).not.toMatch(/FST_ERR_[A-Z_]+$/);
  });

  it("a request Node's parser rejects (two Content-Length headers)", async () => {
    const raw = await rawHttp(port, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab");
    expect(raw).toMatch(/^HTTP\/1.1 400 /);
    expectCode("bad framing", (jsonBodyOf(raw) as { error: { code: string } }).error.code, "WACTOR_ERR_BAD_REQUEST");
  });
});

describe("dashboard, CLI, lattice and control errors", () => {
  const CLUSTER = KeyPair.create("cluster");
  let nats: ServerHandle;
  let member: Member;
  let dashboard: Dashboard;
  let client: ControlClient;
  let dashboardBase = "";

  beforeAll(async () => {
    nats = await startNats({ jetstream: true });
    member = await joinMember(nats.url, { cluster: CLUSTER });
    // 127.0.0.2 is loopback but not in the dashboard's no-token list: it requires its token.
    dashboard = await startDashboard({ url: nats.url, port: await freePort(), host: "127.0.0.2", logger: pino({ level: "silent" }) });
    dashboardBase = new URL(dashboard.url).origin;
    client = await ControlClient.connect({ url: nats.url, timeoutMs: 3000 });
  });
  afterAll(async () => {
    await client?.close();
    await dashboard?.close();
    await leaveMember(member);
    await nats?.stop();
  });

  const dashboardError = async (path: string, init: RequestInit & { token?: boolean } = {}): Promise<{ status: number; code: string }> => {
    const headers = { ...(init.token !== false && { authorization: `Bearer ${dashboard.token}` }), ...(init.headers as Record<string, string>) };
    const res = await fetch(`${dashboardBase}${path}`, { ...init, headers });
    const body = (await res.json()) as { ok: boolean; code: string };
    expect(body.ok).toBe(false);
    return { status: res.status, code: body.code };
  };

  it("dashboard: no token, unknown route, bad JSON, bad action, unknown host", async () => {
    const post = (body: string): RequestInit => ({ method: "POST", body, headers: { "content-type": "application/json" } });
    const cases: Array<[string, Promise<{ status: number; code: string }>, number, string]> = [
      ["no token", dashboardError("/api/overview", { token: false }), 401, "WACTOR_ERR_UNAUTHORIZED"],
      ["unknown route", dashboardError("/api/nothing"), 404, "WACTOR_ERR_NOT_FOUND"],
      ["missing asset", dashboardError("/app/nothing.js"), 404, "WACTOR_ERR_NOT_FOUND"],
      ["bad JSON", dashboardError("/api/actions", post("{not json")), 400, "WACTOR_ERR_BAD_REQUEST"],
      ["bad action", dashboardError("/api/actions", post('{"action":"scale","key":"x","instances":0}')), 400, "WACTOR_ERR_BAD_ARGUMENT"],
      [
        "unknown host",
        dashboardError("/api/actions", post(JSON.stringify({ action: "start", ref: "0".repeat(64), hostId: KeyPair.create("server").publicKey }))),
        404,
        "WACTOR_ERR_HOST_NOT_FOUND",
      ],
    ];
    for (const [where, result, status, code] of cases) {
      const { status: got, code: gotCode } = await result;
      expectCode(`dashboard ${where}`, gotCode, code);
      expect(got, where).toBe(status);
    }
    const { hostname, port } = new URL(dashboardBase);
    const raw = await rawHttp(Number(port), "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", hostname);
    expectCode("dashboard bad framing", (jsonBodyOf(raw) as { code: string }).code, "WACTOR_ERR_BAD_REQUEST");
  });

  it("CLI: commander's usage errors and bad values print error[CODE] with a catalog code", async () => {
    const cases: Array<[string[], string, string]> = [
      [["up", "m.yaml", "--bogus"], "WACTOR_ERR_BAD_ARGUMENT", "unknown option '--bogus'"],
      [["claims", "inspect"], "WACTOR_ERR_BAD_ARGUMENT", "missing required argument"],
      [["nosuchcommand"], "WACTOR_ERR_BAD_ARGUMENT", "unknown command 'nosuchcommand'"],
      [["keys", "gen", "account", "extra"], "WACTOR_ERR_BAD_ARGUMENT", "too many arguments"],
      [["claims", "sign", "in.wasm"], "WACTOR_ERR_BAD_ARGUMENT", "'-o, --output <out.wasm>' not specified"],
      [["ui", "--port", "99999"], "WACTOR_ERR_BAD_ARGUMENT", "--port '99999'"],
      [["up", "manifests/echo.yaml", "--lattice", nats.url, "--ui", "--ui-port", "x"], "WACTOR_ERR_BAD_ARGUMENT", "--ui-port 'x'"],
      [["ctl", "scale", "actor", "echo", "0", "--lattice", nats.url], "WACTOR_ERR_BAD_ARGUMENT", "instances '0'"],
      [["ctl", "get", "inventory", KeyPair.create("server").publicKey, "--lattice", nats.url], "WACTOR_ERR_HOST_NOT_FOUND", ""],
      [["claims", "inspect", "no-such.wasm"], "WACTOR_ERR_FILE_READ", "no-such.wasm"],
    ];
    // Two at a time: the machine is shared, and each run is a whole Node process.
    for (let i = 0; i < cases.length; i += 2) {
      const batch = cases.slice(i, i + 2);
      const results = await Promise.all(batch.map(([args]) => wactorAsync(args, { cwd: ROOT, timeoutMs: 60_000 })));
      results.forEach((result, j) => expectCliError(result, batch[j]!));
    }
  }, 300_000);

  function expectCliError(result: CliResult, [args, code, detail]: [string[], string, string]): void {
    const where = `wactor ${args.join(" ")}`;
    expect(result.status, where).toBe(1);
    const line = result.stderr.split("\n")[0] ?? "";
    expectCode(where, /^error\[(WACTOR_ERR_[A-Z0-9_]+)\]: /.exec(line)?.[1], code);
    expect(line, where).toContain(detail);
    expect(result.stderr, where).not.toMatch(/^error: /m);
  }

  it("CLI --json: a usage error is a JSON catalog error too", async () => {
    const result = await wactorAsync(["ctl", "get", "hosts", "--json", "--bogus"]);
    expect(result.status).toBe(1);
    expectCode("--json usage error", (JSON.parse(result.stdout) as { error: { code: string } }).error.code, "WACTOR_ERR_BAD_ARGUMENT");
  });

  it("lattice: an actor nobody runs, and an untrusted invocation", async () => {
    const nobody = KeyPair.create("module").publicKey;
    expectCode(
      "no actor",
      await codeOf(client.invokeActor(nobody, "HandleRequest", new Uint8Array(), { clusterKey: KeyPair.create("cluster"), timeoutMs: 2000 })),
      "WACTOR_ERR_LATTICE_NO_ACTOR",
    );
    const echo = (await member.host.startActor(actor("echo").signedPath)).key;
    // The trusting client proves the actor is served on the bus; the outsider is then refused.
    await eventually(async () =>
      expect(
        await codeOf(
          client.invokeActor(echo, "HandleRequest", encodeHttpRequest({ method: "GET", path: "/", queryString: "", header: {}, body: new Uint8Array() }), {
            clusterKey: CLUSTER,
          }),
        ),
      ).toBe("resolved"),
    );
    expectCode(
      "untrusted cluster",
      await codeOf(client.invokeActor(echo, "HandleRequest", new Uint8Array(), { clusterKey: KeyPair.create("cluster"), timeoutMs: 2000 })),
      "WACTOR_ERR_INVOCATION_REJECTED",
    );
  });

  it("a malformed lattice event is dropped with a logged reason, and the stream goes on", async () => {
    const lines: string[] = [];
    const logger = pino({ level: "warn" }, { write: (line: string) => void lines.push(line) });
    const watcher = await ControlClient.connect({ url: nats.url, logger });
    const seen: string[] = [];
    const stop = watcher.watch((e) => seen.push(e.type));
    try {
      await watcher.flush();
      const nc = await connectNats({ servers: nats.url });
      const subjects = latticeSubjects("default");
      nc.publish(subjects.event("host_heartbeat"), new TextEncoder().encode("{not json"));
      nc.publish(subjects.event("host_heartbeat"), new TextEncoder().encode('{"no":"type"}'));
      await nc.flush();
      await nc.close();
      await eventually(() => expect(lines.filter((l) => l.includes("dropped a lattice event"))).toHaveLength(2));
      await eventually(() => expect(seen).toContain("host_heartbeat")); // real heartbeats still arrive
    } finally {
      stop();
      await watcher.close();
    }
  });

  it("control: unknown host, bad instances, a request that is not JSON, an unknown ref", async () => {
    const hostId = member.lattice.hostId;
    expectCode("inventory of nobody", await codeOf(client.getInventory(KeyPair.create("server").publicKey)), "WACTOR_ERR_HOST_NOT_FOUND");
    expectCode("start with 0 instances", await codeOf(client.startActor({ ref: "0".repeat(64) }, { hostId, instances: 0 })), "WACTOR_ERR_BAD_ARGUMENT");
    expectCode("start of an unknown ref", await codeOf(client.startActor({ ref: "nobody-knows-me" }, { hostId })), "WACTOR_ERR_ARTIFACT_NOT_FOUND");
    expectCode("stop of an unknown actor", await codeOf(client.stopActor("MNOBODY", { hostId })), "WACTOR_ERR_ACTOR_NOT_FOUND");
    const subjects = latticeSubjects("default");
    const nc = await connectNats({ servers: nats.url });
    const raw = await nc.request(subjects.hostControl(hostId, "scale_actor"), new TextEncoder().encode("{not json"), { timeout: 3000 });
    await nc.close();
    const reply = JSON.parse(new TextDecoder().decode(raw.data)) as { ok: boolean; code: string };
    expect(reply.ok).toBe(false);
    expectCode("control request not JSON", reply.code, "WACTOR_ERR_BAD_PAYLOAD");
  });
});
