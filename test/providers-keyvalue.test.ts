import { Redis } from "ioredis";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeyValueProvider } from "../capabilities/keyvalue/mod.js";
import { decodeKeyValueResponse, encodeKeyValueRequest, type KeyValueOperation, type KeyValueRequests, type KeyValueResponses } from "../src/codec/mod.js";
import type { ActorIdentity, ProviderContext } from "../src/provider/contract.js";
import { freePort, startRedis, type ServerHandle } from "./helpers/servers.js";

const context: ProviderContext = {
  logger: pino({ level: "silent" }),
  deliver: async () => {
    throw new Error("keyvalue never delivers");
  },
};
const actor = (key: string): ActorIdentity => ({ key, issuer: "AISSUER", caps: ["wascc:keyvalue"] });
const ACTOR = actor("MACTORONE");
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function call<Op extends KeyValueOperation>(
  p: KeyValueProvider,
  op: Op,
  req: KeyValueRequests[Op],
  binding = "default",
  who = ACTOR,
): Promise<KeyValueResponses[Op]> {
  const reply = await p.handleCall({ actor: who, binding, operation: op, payload: encodeKeyValueRequest(op, req) });
  return decodeKeyValueResponse(op, reply);
}

let redis: ServerHandle;
const provider = new KeyValueProvider();
beforeAll(async () => {
  redis = await startRedis();
  await provider.start(context);
});
afterAll(async () => {
  await provider.stop();
  await redis?.stop();
});

let seq = 0;
describe.each([
  ["MemoryStore", (_binding: string): Record<string, string> => ({})],
  // Redis keys carry no implicit namespace: each test's binding names its own prefix.
  ["RedisStore", (binding: string): Record<string, string> => ({ URL: redis.url, KEY_PREFIX: `${binding}:` })],
])("keyvalue operations on %s", (_name, values) => {
  /** A fresh binding per test, so tests never see each other's keys. */
  async function fresh(): Promise<string> {
    const binding = `b${++seq}`;
    await provider.bind(ACTOR, binding, values(binding));
    expect(provider.bindingStatus(ACTOR.key, binding)).toEqual({ state: "ok" });
    return binding;
  }

  it("Add increments from zero and Get reads the number back as a string", async () => {
    const b = await fresh();
    expect(await call(provider, "Add", { key: "n", value: 5 }, b)).toEqual({ value: 5 });
    expect(await call(provider, "Add", { key: "n", value: -2 }, b)).toEqual({ value: 3 });
    expect(await call(provider, "Get", { key: "n" }, b)).toEqual({ value: "3", exists: true });
  });

  it("Get of a missing key says it does not exist", async () => {
    const b = await fresh();
    expect(await call(provider, "Get", { key: "nope" }, b)).toEqual({ value: "", exists: false });
  });

  it("Set returns the value, overwrites any kind, and Del removes the key", async () => {
    const b = await fresh();
    await call(provider, "Push", { key: "k", value: "x" }, b);
    expect(await call(provider, "Set", { key: "k", value: "hello", expires: 0 }, b)).toEqual({ value: "hello" });
    expect(await call(provider, "Get", { key: "k" }, b)).toEqual({ value: "hello", exists: true });
    expect(await call(provider, "Del", { key: "k" }, b)).toEqual({ key: "k" });
    expect(await call(provider, "KeyExists", { key: "k" }, b)).toEqual({ value: "", exists: false });
    expect(await call(provider, "Del", { key: "k" }, b)).toEqual({ key: "k" });
  });

  it("Push prepends (LPUSH) and Range follows LRANGE indexes", async () => {
    const b = await fresh();
    for (const [i, v] of ["a", "b", "c"].entries()) expect(await call(provider, "Push", { key: "l", value: v }, b)).toEqual({ newCount: i + 1 });
    expect(await call(provider, "Range", { key: "l", start: 0, stop: -1 }, b)).toEqual({ values: ["c", "b", "a"] });
    expect(await call(provider, "Range", { key: "l", start: 1, stop: 1 }, b)).toEqual({ values: ["b"] });
    expect(await call(provider, "Range", { key: "l", start: -2, stop: -1 }, b)).toEqual({ values: ["b", "a"] });
    expect(await call(provider, "Range", { key: "l", start: -100, stop: 100 }, b)).toEqual({ values: ["c", "b", "a"] });
    expect(await call(provider, "Range", { key: "l", start: 5, stop: 10 }, b)).toEqual({ values: [] });
    expect(await call(provider, "Range", { key: "missing", start: 0, stop: -1 }, b)).toEqual({ values: [] });
  });

  it("ListItemDelete removes every occurrence and reports how many; an emptied list is gone", async () => {
    const b = await fresh();
    for (const v of ["x", "y", "x"]) await call(provider, "Push", { key: "l", value: v }, b);
    expect(await call(provider, "ListItemDelete", { key: "l", value: "x" }, b)).toEqual({ newCount: 2 });
    expect(await call(provider, "Range", { key: "l", start: 0, stop: -1 }, b)).toEqual({ values: ["y"] });
    expect(await call(provider, "ListItemDelete", { key: "l", value: "zzz" }, b)).toEqual({ newCount: 0 });
    expect(await call(provider, "ListItemDelete", { key: "l", value: "y" }, b)).toEqual({ newCount: 1 });
    expect(await call(provider, "KeyExists", { key: "l" }, b)).toEqual({ value: "", exists: false });
  });

  it("Clear deletes a list", async () => {
    const b = await fresh();
    await call(provider, "Push", { key: "l", value: "x" }, b);
    expect(await call(provider, "Clear", { key: "l" }, b)).toEqual({ key: "l" });
    expect(await call(provider, "Range", { key: "l", start: 0, stop: -1 }, b)).toEqual({ values: [] });
  });

  it("SetAdd/SetRemove report members added/removed; SetQuery lists sorted members", async () => {
    const b = await fresh();
    expect(await call(provider, "SetAdd", { key: "s", value: "b" }, b)).toEqual({ newCount: 1 });
    expect(await call(provider, "SetAdd", { key: "s", value: "a" }, b)).toEqual({ newCount: 1 });
    expect(await call(provider, "SetAdd", { key: "s", value: "a" }, b)).toEqual({ newCount: 0 });
    expect(await call(provider, "SetQuery", { key: "s" }, b)).toEqual({ values: ["a", "b"] });
    expect(await call(provider, "SetRemove", { key: "s", value: "a" }, b)).toEqual({ newCount: 1 });
    expect(await call(provider, "SetRemove", { key: "s", value: "a" }, b)).toEqual({ newCount: 0 });
    expect(await call(provider, "SetRemove", { key: "s", value: "b" }, b)).toEqual({ newCount: 1 });
    expect(await call(provider, "KeyExists", { key: "s" }, b)).toEqual({ value: "", exists: false });
    expect(await call(provider, "SetQuery", { key: "s" }, b)).toEqual({ values: [] });
  });

  it("SetUnion and SetIntersection treat missing keys as empty sets", async () => {
    const b = await fresh();
    for (const v of ["a", "b", "c"]) await call(provider, "SetAdd", { key: "s1", value: v }, b);
    for (const v of ["b", "c", "d"]) await call(provider, "SetAdd", { key: "s2", value: v }, b);
    expect(await call(provider, "SetUnion", { keys: ["s1", "s2", "none"] }, b)).toEqual({ values: ["a", "b", "c", "d"] });
    expect(await call(provider, "SetIntersection", { keys: ["s1", "s2"] }, b)).toEqual({ values: ["b", "c"] });
    expect(await call(provider, "SetIntersection", { keys: ["s1", "none"] }, b)).toEqual({ values: [] });
    expect(await call(provider, "SetUnion", { keys: [] }, b)).toEqual({ values: [] });
  });

  it("KeyExists sees strings, lists and sets", async () => {
    const b = await fresh();
    await call(provider, "Set", { key: "str", value: "", expires: 0 }, b);
    await call(provider, "Push", { key: "list", value: "v" }, b);
    await call(provider, "SetAdd", { key: "set", value: "v" }, b);
    for (const key of ["str", "list", "set"]) expect(await call(provider, "KeyExists", { key }, b)).toEqual({ value: "", exists: true });
  });

  it("operations on a key of another kind fail with WACTOR_ERR_WRONG_TYPE", async () => {
    const b = await fresh();
    await call(provider, "Set", { key: "str", value: "abc", expires: 0 }, b);
    await call(provider, "Push", { key: "list", value: "v" }, b);
    await expect(call(provider, "Push", { key: "str", value: "x" }, b)).rejects.toMatchObject({ code: "WACTOR_ERR_WRONG_TYPE" });
    await expect(call(provider, "Add", { key: "str", value: 1 }, b)).rejects.toMatchObject({ code: "WACTOR_ERR_WRONG_TYPE" });
    await expect(call(provider, "Get", { key: "list" }, b)).rejects.toMatchObject({ code: "WACTOR_ERR_WRONG_TYPE" });
    await expect(call(provider, "SetQuery", { key: "list" }, b)).rejects.toMatchObject({ code: "WACTOR_ERR_WRONG_TYPE" });
    await expect(call(provider, "SetAdd", { key: "list", value: "x" }, b)).rejects.toMatchObject({ code: "WACTOR_ERR_WRONG_TYPE" });
  });

  it("Set with expires makes the key vanish; Add keeps the expiry", async () => {
    const b = await fresh();
    await call(provider, "Set", { key: "t", value: "v", expires: 1 }, b);
    await call(provider, "Set", { key: "n", value: "1", expires: 1 }, b);
    await call(provider, "Set", { key: "keep", value: "v", expires: 0 }, b);
    expect(await call(provider, "Add", { key: "n", value: 1 }, b)).toEqual({ value: 2 });
    expect(await call(provider, "Get", { key: "t" }, b)).toEqual({ value: "v", exists: true });
    await sleep(1300);
    expect(await call(provider, "Get", { key: "t" }, b)).toEqual({ value: "", exists: false });
    expect(await call(provider, "KeyExists", { key: "n" }, b)).toEqual({ value: "", exists: false });
    expect(await call(provider, "Get", { key: "keep" }, b)).toEqual({ value: "v", exists: true });
  });

  it("rejects a negative expiry", async () => {
    const b = await fresh();
    await expect(call(provider, "Set", { key: "k", value: "v", expires: -1 }, b)).rejects.toMatchObject({ code: "WACTOR_ERR_BAD_PAYLOAD" });
  });

  it("named bindings, and the same name on two actors, are separate stores (on one Redis: by their prefixes)", async () => {
    const other = actor("MACTORTWO");
    await provider.bind(ACTOR, "source1", values("one"));
    await provider.bind(ACTOR, "source2", values("two"));
    await provider.bind(other, "source1", values("three"));
    try {
      expect(await call(provider, "Add", { key: "c", value: 1 }, "source1")).toEqual({ value: 1 });
      expect(await call(provider, "Add", { key: "c", value: 10 }, "source2")).toEqual({ value: 10 });
      expect(await call(provider, "Add", { key: "c", value: 100 }, "source1", other)).toEqual({ value: 100 });
      expect(await call(provider, "Add", { key: "c", value: 1 }, "source1")).toEqual({ value: 2 });
    } finally {
      await provider.unbind(ACTOR.key, "source1");
      await provider.unbind(ACTOR.key, "source2");
      await provider.unbind(other.key, "source1");
    }
    expect(provider.bindingStatus(ACTOR.key, "source1")).toBeUndefined();
    await expect(call(provider, "Get", { key: "c" }, "source1")).rejects.toMatchObject({ code: "WACTOR_ERR_NOT_BOUND" });
  });

  it("rejects unknown operations and malformed payloads", async () => {
    const b = await fresh();
    await expect(provider.handleCall({ actor: ACTOR, binding: b, operation: "Frobnicate", payload: new Uint8Array([0x80]) })).rejects.toMatchObject({
      code: "WACTOR_ERR_UNKNOWN_OPERATION",
    });
    await expect(provider.handleCall({ actor: ACTOR, binding: b, operation: "Get", payload: new Uint8Array([0xc1]) })).rejects.toMatchObject({
      code: "WACTOR_ERR_BAD_PAYLOAD",
    });
  });
});

describe("shared embedded stores (SHARED)", () => {
  it("bindings naming the same SHARED store see each other's keys; others do not; the store lives until its last binding goes", async () => {
    const [a, b, c] = [actor("MSHAREDA"), actor("MSHAREDB"), actor("MSHAREDC")];
    await provider.bind(a, "default", { SHARED: "bundle-1" });
    await provider.bind(b, "default", { SHARED: "bundle-1" });
    await provider.bind(c, "default", { SHARED: "bundle-2" });
    await call(provider, "Set", { key: "k", value: "from-a", expires: 0 }, "default", a);
    expect(await call(provider, "Get", { key: "k" }, "default", b)).toEqual({ value: "from-a", exists: true });
    expect(await call(provider, "Get", { key: "k" }, "default", c)).toEqual({ value: "", exists: false });
    await provider.unbind(a.key, "default");
    expect(await call(provider, "Get", { key: "k" }, "default", b)).toEqual({ value: "from-a", exists: true });
    await provider.unbind(b.key, "default");
    await provider.bind(a, "default", { SHARED: "bundle-1" });
    expect(await call(provider, "Get", { key: "k" }, "default", a)).toEqual({ value: "", exists: false });
    await provider.unbind(a.key, "default");
    await provider.unbind(c.key, "default");
  });

  it("refuses SHARED together with URL", async () => {
    await expect(provider.bind(actor("MSHAREDX"), "default", { SHARED: "x", URL: redis.url })).rejects.toMatchObject({
      code: "WACTOR_ERR_BINDING_INVALID",
      message: expect.stringContaining("SHARED"),
    });
  });
});

describe("RedisStore binding", () => {
  it("writes keys exactly as the actor names them, or under KEY_PREFIX when one is set", async () => {
    await provider.bind(ACTOR, "prefixed", { URL: redis.url, KEY_PREFIX: "ns:" });
    await provider.bind(ACTOR, "raw", { URL: redis.url });
    const direct = new Redis(redis.url);
    try {
      await call(provider, "Set", { key: ":where", value: "prefixed", expires: 0 }, "prefixed");
      await call(provider, "Set", { key: ":where", value: "raw", expires: 0 }, "raw");
      expect(await direct.get("ns::where")).toBe("prefixed");
      expect(await direct.get(":where")).toBe("raw");
      expect((await direct.keys("*")).filter((k) => k.includes("where")).sort()).toEqual([":where", "ns::where"]);
    } finally {
      direct.disconnect();
      await provider.unbind(ACTOR.key, "prefixed");
      await provider.unbind(ACTOR.key, "raw");
    }
  });

  it("rejects a dead Redis URL at bind time and leaves nothing bound", async () => {
    const port = await freePort();
    const err = await provider.bind(ACTOR, "dead", { URL: `redis://127.0.0.1:${port}` }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "WACTOR_ERR_BINDING_FAILED", status: 502 });
    expect(String((err as Error).message)).toContain(`127.0.0.1:${port}`);
    expect(provider.bindingStatus(ACTOR.key, "dead")).toBeUndefined();
  });

  it("rejects a URL that is not redis://", async () => {
    await expect(provider.bind(ACTOR, "bad", { URL: "http://127.0.0.1:1" })).rejects.toMatchObject({ code: "WACTOR_ERR_BINDING_INVALID" });
    expect(provider.bindingStatus(ACTOR.key, "bad")).toBeUndefined();
  });

  it("fails a call within the command deadline while Redis hangs (SIGSTOP), and serves again once it answers", async () => {
    const hung = await startRedis();
    const p = new KeyValueProvider({ redis: { commandTimeoutMs: 200 } });
    await p.start(context);
    try {
      await p.bind(ACTOR, "default", { URL: hung.url });
      expect(await call(p, "Add", { key: "n", value: 1 })).toEqual({ value: 1 });
      hung.pause();
      // Without the connection's deadline watchdog these calls never settle: the test times out.
      await expect(call(p, "Add", { key: "n", value: 1 })).rejects.toMatchObject({ code: "WACTOR_ERR_PROVIDER_UNAVAILABLE", status: 503 });
      await expect(call(p, "Get", { key: "n" })).rejects.toMatchObject({ code: "WACTOR_ERR_PROVIDER_UNAVAILABLE" });
      hung.resume();
      // The late answers to the failed calls are ignored; new calls are answered again.
      expect(await call(p, "Add", { key: "m", value: 2 })).toEqual({ value: 2 });
    } finally {
      hung.resume();
      await p.stop();
      await hung.stop();
    }
  }, 20_000);

  it("fails fast with WACTOR_ERR_PROVIDER_UNAVAILABLE while Redis is down and recovers after restart", async () => {
    const own = await startRedis();
    const p = new KeyValueProvider();
    await p.start(context);
    try {
      await p.bind(ACTOR, "default", { URL: own.url });
      expect(await call(p, "Add", { key: "n", value: 1 })).toEqual({ value: 1 });
      await own.stop();
      await expect(call(p, "Add", { key: "n", value: 1 })).rejects.toMatchObject({ code: "WACTOR_ERR_PROVIDER_UNAVAILABLE", status: 503 });
      await expect(call(p, "Get", { key: "n" })).rejects.toMatchObject({ code: "WACTOR_ERR_PROVIDER_UNAVAILABLE" });
      // The client notices the closed socket on its own schedule: the status follows shortly.
      const noticed = Date.now() + 10_000;
      while (p.bindingStatus(ACTOR.key, "default")?.state !== "failed" && Date.now() < noticed) await sleep(50);
      expect(p.bindingStatus(ACTOR.key, "default")).toMatchObject({ state: "failed" });

      await own.restart();
      const deadline = Date.now() + 10_000;
      while (p.bindingStatus(ACTOR.key, "default")?.state !== "ok" && Date.now() < deadline) await sleep(100);
      expect(p.bindingStatus(ACTOR.key, "default")).toEqual({ state: "ok" });
      // The restarted server keeps no data (--save ''): the counter starts over.
      expect(await call(p, "Add", { key: "n", value: 1 })).toEqual({ value: 1 });
    } finally {
      await p.stop();
      await own.stop();
    }
  });
});
