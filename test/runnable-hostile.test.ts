/**
 * Hostile example runnables fail alone (docs/runnables.md): loop-forever meets its deadline,
 * memory-bomb its memory ceiling, start-trap never starts, huge-result either reports a range
 * past its memory (a trap) or a 32 MiB result the host carries. Meanwhile the echo runnable on
 * the same host keeps answering over HTTP: every echo sent beside a hostile job is answered,
 * and beside the endless loop some are answered before its deadline ends it.
 */
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HttpServerProvider } from "../capabilities/mod.js";
import { Host } from "../src/host/host.js";
import { HostMetrics } from "../src/host/metrics.js";
import { codeOf } from "./helpers/code-of.js";
import { runnable } from "./helpers/runnables.js";
import { startExample } from "./helpers/runnable-world.js";

const MiB = 1024 * 1024;
const host = new Host({ logger: pino({ level: "silent" }), actorDefaults: { deadlineMs: 5000 } });
const metrics = new HostMetrics(host);
const urls: Record<string, string> = {};
const keys: Record<string, string> = {};

beforeAll(async () => {
  await host.addProvider(new HttpServerProvider());
  const plan: Record<string, { deadlineMs?: number; maxMemoryBytes?: number }> = {
    echo: {},
    "loop-forever": { deadlineMs: 300 },
    "memory-bomb": { maxMemoryBytes: 16 * MiB },
    // 32 MiB of result fits; a second 32 MiB does not, and a trap near the ceiling reads as the ceiling
    "huge-result": { maxMemoryBytes: 35 * MiB },
  };
  for (const [name, options] of Object.entries(plan)) {
    const started = await startExample(host, name, {}, options);
    urls[name] = started.url;
    keys[name] = started.key;
  }
}, 240_000);
afterAll(() => host.shutdown());

const post = (name: string, body: string) => fetch(`${urls[name]}/`, { method: "POST", body });

/**
 * Sends the hostile request and, while it runs, echo requests one after another; answers the
 * hostile response and how many echoes (all 200 with their body) came back before it did.
 */
async function beside(hostile: () => Promise<Response>): Promise<{ res: Response; echoedBefore: number }> {
  let settled = false;
  let echoed = 0;
  const pending = hostile().finally(() => (settled = true));
  const echoes = (async () => {
    for (let i = 0; i < 200 && !settled; i++) {
      const res = await post("echo", `neighbour ${i}`);
      expect([res.status, await res.text()]).toEqual([200, `neighbour ${i}`]);
      if (!settled) echoed++;
    }
  })();
  const res = await pending;
  await echoes;
  return { res, echoedBefore: echoed };
}

describe("hostile runnables fail alone while echo keeps answering over HTTP", () => {
  it("loop-forever: its deadline ends it (504); echo answered meanwhile; the next job meets the same end", async () => {
    const { res, echoedBefore } = await beside(() => post("loop-forever", "spin"));
    expect(res.status).toBe(504);
    expect(echoedBefore).toBeGreaterThan(0);
    expect(await codeOf(host.invoke(keys["loop-forever"]!, "run", new Uint8Array(1)))).toBe("WACTOR_ERR_DEADLINE");
  });

  it("memory-bomb: its memory ceiling ends it (507); every echo beside it answered", async () => {
    const { res } = await beside(() => post("memory-bomb", "grow"));
    expect(res.status).toBe(507);
    expect(await codeOf(host.invoke(keys["memory-bomb"]!, "run", new Uint8Array(1)))).toBe("WACTOR_ERR_MEMORY_LIMIT");
  });

  it("huge-result: a result past the end of memory is a trap, not a read of what is not there; the next instance serves", async () => {
    const { res } = await beside(() => post("huge-result", "oob"));
    expect(res.status).toBe(500);
    expect(await res.text()).toContain("WACTOR_ERR_TRAP");
    const trapped = host.invoke(keys["huge-result"]!, "run", new TextEncoder().encode("oob"));
    await expect(trapped).rejects.toMatchObject({ code: "WACTOR_ERR_TRAP", message: expect.stringContaining("out of bounds") });
  });

  it("huge-result: a 32 MiB result is carried whole over HTTP; a second one on the same instance meets the memory ceiling", async () => {
    const { res } = await beside(() => post("huge-result", "big"));
    expect(res.status).toBe(200);
    // all of its memory: the 32 MiB it grew, and what it had before
    expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(32 * MiB);
    const bigger = await post("huge-result", "bigger");
    expect(bigger.status).toBe(507);
    expect((await post("echo", "still here")).status).toBe(200);
  });

  it("start-trap: a trap in _start refuses the runnable; the host and its runnables go on", async () => {
    await expect(host.startActor(runnable("start-trap").signedPath)).rejects.toMatchObject({
      code: "WACTOR_ERR_MODULE_COMPILE",
      message: expect.stringContaining("_start"),
    });
    expect(
      host
        .listActors()
        .map((a) => a.name)
        .sort(),
    ).toEqual(["echo", "huge-result", "loop-forever", "memory-bomb"]);
    expect(await (await post("echo", "after start-trap")).text()).toBe("after start-trap");
  });

  it("the failures are counted per runnable; echo has none", async () => {
    const text = await metrics.text();
    const replaced = (actor: string, reason: string) => text.includes(`wactor_instances_replaced_total{actor="${actor}",reason="${reason}"}`);
    expect(replaced("loop-forever", "deadline")).toBe(true);
    expect(replaced("huge-result", "trap")).toBe(true);
    expect(text).not.toMatch(/wactor_instances_replaced_total\{actor="echo"/);
  });
});
