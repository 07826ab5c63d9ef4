import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { WELL_KNOWN_CAPABILITIES } from "../src/claims/mod.js";
import { BUILTIN_CAPABILITIES, ExtrasProvider, LoggingProvider, createBuiltinProvider, isBuiltinCapability } from "../capabilities/mod.js";
import { decodeExtrasReply, decodeFirst, encodeExtrasRequest, encodeWriteLog, type ExtrasReply } from "../src/codec/mod.js";
import type { ActorIdentity, ProviderContext } from "../src/provider/contract.js";

const ACTOR: ActorIdentity = { key: "MMISCACTOR", name: "misc-actor", issuer: "AISSUER", caps: ["wascc:logging", "wascc:extras"] };
const OTHER: ActorIdentity = { key: "MOTHERACTOR", issuer: "AISSUER", caps: ["wascc:extras"] };

const lines: Record<string, unknown>[] = [];
const logger = pino({ level: "trace" }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
const context: ProviderContext = {
  logger,
  deliver: async () => {
    throw new Error("never delivers");
  },
};

describe("logging provider", () => {
  const provider = new LoggingProvider();
  beforeAll(async () => {
    await provider.start(context);
    await provider.bind(ACTOR, "default", {});
  });
  afterAll(() => provider.stop());
  const writeLog = (level: number, body: string, binding = "default") =>
    provider.handleCall({ actor: ACTOR, binding, operation: "WriteLog", payload: encodeWriteLog({ level, body }) });

  it("writes each level to the host logger with the actor's key, name and binding, replying an empty map", async () => {
    lines.length = 0;
    const names = ["error", "warn", "info", "debug", "trace"];
    for (const [i, name] of names.entries()) expect(decodeFirst(await writeLog(i + 1, `line ${name}`))).toEqual({});
    expect(lines.map((l) => [l.level, l.msg])).toEqual(names.map((name) => [pino.levels.values[name], `line ${name}`]));
    expect(lines[0]).toMatchObject({ actor: ACTOR.key, actorName: "misc-actor", binding: "default" });
  });

  it("writes nothing at level 0 (off) and rejects levels above 5", async () => {
    lines.length = 0;
    expect(decodeFirst(await writeLog(0, "silent"))).toEqual({});
    expect(lines).toEqual([]);
    await expect(writeLog(6, "too verbose")).rejects.toMatchObject({ code: "WACTOR_ERR_BAD_PAYLOAD" });
  });

  it("rejects unbound bindings and unknown operations", async () => {
    await expect(writeLog(3, "x", "other")).rejects.toMatchObject({ code: "WACTOR_ERR_NOT_BOUND" });
    await expect(provider.handleCall({ actor: ACTOR, binding: "default", operation: "Log", payload: new Uint8Array() })).rejects.toMatchObject({
      code: "WACTOR_ERR_UNKNOWN_OPERATION",
    });
    await provider.unbind(ACTOR.key, "default");
    expect(provider.bindingStatus(ACTOR.key, "default")).toBeUndefined();
    await expect(writeLog(3, "gone")).rejects.toMatchObject({ code: "WACTOR_ERR_NOT_BOUND" });
    await provider.bind(ACTOR, "default", {});
  });
});

describe("extras provider", () => {
  const provider = new ExtrasProvider();
  beforeAll(async () => {
    await provider.start(context);
    await provider.bind(ACTOR, "default", {});
    await provider.bind(ACTOR, "second", {});
    await provider.bind(OTHER, "default", {});
  });
  afterAll(() => provider.stop());
  const request = async (operation: string, fields: Partial<{ min: number; max: number }> = {}, actor = ACTOR, binding = "default"): Promise<ExtrasReply> => {
    const payload = encodeExtrasRequest({
      guid: operation === "RequestGuid",
      sequence: operation === "RequestSequence",
      random: operation === "RequestRandom",
      min: fields.min ?? 0,
      max: fields.max ?? 0,
    });
    return decodeExtrasReply(await provider.handleCall({ actor, binding, operation, payload }));
  };

  it("RequestGuid returns distinct v4 UUIDs", async () => {
    const a = await request("RequestGuid");
    const b = await request("RequestGuid");
    expect(a.guid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(b.guid).not.toBe(a.guid);
    expect(a).toMatchObject({ sequenceNumber: 0, randomNumber: 0 });
  });

  it("RequestSequence counts from 0 per actor and binding", async () => {
    expect((await request("RequestSequence")).sequenceNumber).toBe(0);
    expect((await request("RequestSequence")).sequenceNumber).toBe(1);
    expect((await request("RequestSequence")).sequenceNumber).toBe(2);
    expect((await request("RequestSequence", {}, ACTOR, "second")).sequenceNumber).toBe(0);
    expect((await request("RequestSequence", {}, OTHER)).sequenceNumber).toBe(0);
    expect((await request("RequestSequence")).sequenceNumber).toBe(3);
    expect((await request("RequestSequence")).guid).toBeNull();
  });

  it("RequestRandom stays within min..max inclusive and reaches both ends", async () => {
    const seen = new Set<number>();
    for (let i = 0; i < 300; i++) {
      const n = (await request("RequestRandom", { min: 1, max: 3 })).randomNumber;
      expect(n).toBeGreaterThanOrEqual(1);
      expect(n).toBeLessThanOrEqual(3);
      seen.add(n);
    }
    expect([...seen].sort()).toEqual([1, 2, 3]);
    expect((await request("RequestRandom", { min: 7, max: 7 })).randomNumber).toBe(7);
  });

  it("RequestRandom over the whole u32 range is spread over it, not stuck at one end", async () => {
    // 64 draws: a constant, a 16-bit or a 31-bit generator fails one of these; a uniform one
    // fails with a probability below 1e-8 (no three quarters miss the top quarter 64 times).
    const draws: number[] = [];
    for (let i = 0; i < 64; i++) draws.push((await request("RequestRandom", { min: 0, max: 0xffff_ffff })).randomNumber);
    for (const n of draws) {
      expect(Number.isInteger(n)).toBe(true);
      expect(n).toBeGreaterThanOrEqual(0);
      expect(n).toBeLessThanOrEqual(0xffff_ffff);
    }
    expect(new Set(draws).size).toBeGreaterThanOrEqual(60);
    expect(draws.some((n) => n >= 0xc000_0000)).toBe(true);
    expect(draws.some((n) => n < 0x4000_0000)).toBe(true);
    expect(draws.some((n) => n > 0xffff)).toBe(true);
  });

  it("RequestRandom rejects min > max", async () => {
    await expect(request("RequestRandom", { min: 5, max: 4 })).rejects.toMatchObject({
      code: "WACTOR_ERR_BAD_PAYLOAD",
      message: expect.stringContaining("min (5)"),
    });
  });

  it("rejects unbound bindings and unknown operations", async () => {
    await expect(request("RequestGuid", {}, ACTOR, "nope")).rejects.toMatchObject({ code: "WACTOR_ERR_NOT_BOUND" });
    await expect(provider.handleCall({ actor: ACTOR, binding: "default", operation: "RequestTime", payload: new Uint8Array() })).rejects.toMatchObject({
      code: "WACTOR_ERR_UNKNOWN_OPERATION",
    });
  });
});

describe("createBuiltinProvider", () => {
  it("makes a provider for each built-in capability id", () => {
    expect([...BUILTIN_CAPABILITIES].sort()).toEqual([
      "wascc:blobstore",
      "wascc:eventstreams",
      "wascc:extras",
      "wascc:http_client",
      "wascc:http_server",
      "wascc:keyvalue",
      "wascc:logging",
      "wascc:messaging",
    ]);
    for (const id of BUILTIN_CAPABILITIES) {
      const provider = createBuiltinProvider(id, { name: `my-${id}` });
      expect(provider.capabilityId).toBe(id);
      expect(provider.name).toBe(`my-${id}`);
      expect(isBuiltinCapability(id)).toBe(true);
    }
  });

  it("every built-in capability is well known to claims and offered by the dashboard's link form", () => {
    const page = readFileSync(new URL("../ui/index.html", import.meta.url), "utf8");
    const offered = [...page.matchAll(/<option value="([^"]+)">/g)].map((m) => m[1]);
    expect([...offered].sort()).toEqual([...BUILTIN_CAPABILITIES].sort());
    expect([...WELL_KNOWN_CAPABILITIES].sort()).toEqual([...BUILTIN_CAPABILITIES].sort());
  });

  it("refuses unknown ids with WACTOR_ERR_NO_PROVIDER", () => {
    expect(() => createBuiltinProvider("wascc:graphdb")).toThrow(expect.objectContaining({ code: "WACTOR_ERR_NO_PROVIDER" }));
    expect(isBuiltinCapability("toString")).toBe(false);
  });
});
