import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import { KeyPair } from "../src/claims/nkeys.js";
import { signModule } from "../src/claims/sign.js";
import {
  decodeHealthResponse,
  decodeHttpResponse,
  decodeKeyValueRequest,
  encode,
  encodeHealthRequest,
  encodeHttpRequest,
  encodeKeyValueResponse,
  OP_HEALTH_REQUEST,
  type HttpRequest,
} from "../src/codec/mod.js";
import { createBuiltinProvider } from "../capabilities/mod.js";
import { Host } from "../src/host/host.js";
import type { ProviderCall } from "../src/provider/contract.js";
import { actor, signedBytes, unsignedBytes } from "./helpers/actors.js";
import { SpyProvider } from "./helpers/spy-provider.js";

/** A key-value provider that only knows Add, enough to see what reaches a provider. */
class CountingProvider extends SpyProvider {
  readonly counters = new Map<string, number>();
  override async handleCall(call: ProviderCall): Promise<Uint8Array> {
    this.calls.push(call);
    const { key, value } = decodeKeyValueRequest("Add", call.payload);
    const next = (this.counters.get(key) ?? 0) + value;
    this.counters.set(key, next);
    return encodeKeyValueResponse("Add", { value: next });
  }
}

const request = (overrides: Partial<HttpRequest> = {}): Uint8Array =>
  encodeHttpRequest({ method: "GET", path: "/", queryString: "", header: {}, body: new Uint8Array(0), ...overrides });
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

// Every example actor must answer the same instrumented (metered, the default) and not (a
// thread per instance runs the module as signed): the same assertions run on both.
describe.each(["metered", "executor", "thread"] as const)("example actors (AssemblyScript SDK) on the host, %s isolation", (isolation) => {
  const host = new Host({ logger: pino({ level: "silent" }), actorDefaults: { instances: 2, deadlineMs: 1000, maxMemoryBytes: 16 * 1024 * 1024, isolation } });
  const kv = new CountingProvider("wascc:keyvalue");

  beforeAll(async () => {
    await host.addProvider(kv);
    for (const name of ["echo", "kvcounter", "pinger", "ponger", "sneaky", "looper", "panicker", "hog"]) await host.startActor(signedBytes(name));
    await host.bind(actor("kvcounter").publicKey, "wascc:keyvalue", "", {});
  });
  afterAll(() => host.shutdown());

  it("echo answers HandleRequest with a JSON description of the request", async () => {
    const reply = decodeHttpResponse(
      await host.invoke(
        actor("echo").publicKey,
        "HandleRequest",
        request({ method: "POST", path: "/hello", queryString: "a=1", header: { "x-k": "v" }, body: new TextEncoder().encode("hi") }),
      ),
    );
    expect(reply.statusCode).toBe(200);
    expect(reply.header["content-type"]).toBe("application/json");
    expect(JSON.parse(text(reply.body))).toEqual({ method: "POST", path: "/hello", query_string: "a=1", headers: { "x-k": "v" }, body_len: 2, body: "hi" });
  });

  it("the SDK skips fields it does not know, long strings and bytes included (their length bytes too)", async () => {
    // A newer host may send more fields; str8 (> 31 bytes), str16 and bin8 values lead the known ones.
    const payload = encode({
      extra8: "x".repeat(40),
      extra16: "y".repeat(300),
      extraBin: new Uint8Array(70),
      method: "PUT",
      path: "/after",
      queryString: "",
      header: {},
      body: new TextEncoder().encode("ok"),
    });
    const reply = decodeHttpResponse(await host.invoke(actor("echo").publicKey, "HandleRequest", payload));
    expect(JSON.parse(text(reply.body))).toMatchObject({ method: "PUT", path: "/after", body: "ok" });
  });

  it("echo answers the spec's HealthRequest healthy without registering a handler (SDK default)", async () => {
    const reply = await host.invoke(actor("echo").publicKey, OP_HEALTH_REQUEST, encodeHealthRequest());
    expect(reply).toHaveLength(0); // the spec's healthy reply is the empty one
    expect(decodeHealthResponse(reply)).toEqual({ healthy: true, message: "" });
    // The default covers only the health check: other unregistered operations still fail.
    await expect(host.invoke(actor("echo").publicKey, "NoSuchOperation", new Uint8Array())).rejects.toMatchObject({
      code: "WACTOR_ERR_GUEST_ERROR",
      message: expect.stringContaining("no handler for operation NoSuchOperation"),
    });
  });

  it("kvcounter counts per path with '/' turned into ':'", async () => {
    const key = actor("kvcounter").publicKey;
    for (const expected of [1, 2, 3]) {
      const reply = decodeHttpResponse(await host.invoke(key, "HandleRequest", request({ path: "/foo/bar" })));
      expect(JSON.parse(text(reply.body))).toEqual({ counter: expected });
    }
    expect(kv.counters.get(":foo:bar")).toBe(3);
    expect(kv.calls.at(-1)?.binding).toBe("default");
  });

  it("pinger calls ponger actor-to-actor", async () => {
    const reply = decodeHttpResponse(
      await host.invoke(
        actor("pinger").publicKey,
        "HandleRequest",
        request({ queryString: `target=${actor("ponger").publicKey}`, body: new TextEncoder().encode("hello") }),
      ),
    );
    expect(reply.statusCode).toBe(200);
    expect(text(reply.body)).toBe("pong:hello");
  });

  it("sneaky is denied key-value and the provider never sees the call; re-signed with the claim it works", async () => {
    const before = kv.calls.length;
    const reply = decodeHttpResponse(await host.invoke(actor("sneaky").publicKey, "HandleRequest", request()));
    expect(reply.statusCode).toBe(500);
    expect(text(reply.body)).toContain("Permission denied");
    expect(text(reply.body)).toContain("wascc:keyvalue");
    expect(kv.calls.length).toBe(before);

    const account = KeyPair.create("account");
    const honest = await signModule(unsignedBytes("sneaky"), {
      issuer: account,
      subject: KeyPair.create("module"),
      caps: ["wascc:http_server", "wascc:keyvalue"],
      name: "sneaky-honest",
    });
    const key = (await host.startActor(honest.bytes)).key;
    await host.bind(key, "wascc:keyvalue", "default", {});
    const allowed = decodeHttpResponse(await host.invoke(key, "HandleRequest", request()));
    expect(allowed.statusCode).toBe(200);
    expect(text(allowed.body)).toBe("counter 1");
    expect(kv.calls.length).toBe(before + 1);
  });

  it("the hostile example actors fail their own invocations with the right codes", async () => {
    const results = await Promise.allSettled([
      host.invoke(actor("looper").publicKey, "Loop", new Uint8Array()),
      host.invoke(actor("panicker").publicKey, "Panic", new Uint8Array()),
      host.invoke(actor("panicker").publicKey, "Abort", new Uint8Array()),
      host.invoke(actor("hog").publicKey, "Hog", new Uint8Array()),
    ]);
    expect(results.map((r) => (r.status === "rejected" ? (r.reason as { code: string }).code : "ok"))).toEqual([
      "WACTOR_ERR_DEADLINE",
      "WACTOR_ERR_TRAP",
      "WACTOR_ERR_TRAP",
      "WACTOR_ERR_MEMORY_LIMIT",
    ]);
    expect(String((results[2] as PromiseRejectedResult).reason)).toContain("panicker gave up");
    const echo = decodeHttpResponse(await host.invoke(actor("echo").publicKey, "HandleRequest", request()));
    expect(echo.statusCode).toBe(200);
  });
});

describe.each(["metered", "thread"] as const)("dice: the SDK's wascc:extras helpers against the built-in provider, %s isolation", (isolation) => {
  const host = new Host({ logger: pino({ level: "silent" }), actorDefaults: { instances: 1, isolation } });
  afterAll(() => host.shutdown());

  it("gets a GUID, a roll within 1..6 and a sequence counting from 0 per actor", async () => {
    await host.addProvider(createBuiltinProvider("wascc:extras"));
    const key = (await host.startActor(signedBytes("dice"))).key;
    await host.bind(key, "wascc:extras", "", {});
    const replies: Array<{ id: string; roll: number; seq: number }> = [];
    for (let i = 0; i < 30; i++) {
      const reply = decodeHttpResponse(await host.invoke(key, "HandleRequest", request()));
      expect(reply.statusCode).toBe(200);
      replies.push(JSON.parse(text(reply.body)) as { id: string; roll: number; seq: number });
    }
    for (const r of replies) {
      expect(r.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(r.roll).toBeGreaterThanOrEqual(1);
      expect(r.roll).toBeLessThanOrEqual(6);
    }
    expect(new Set(replies.map((r) => r.id)).size).toBe(30);
    expect(replies.map((r) => r.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(new Set(replies.map((r) => r.roll)).size).toBeGreaterThan(1); // 30 rolls of one face: 6 * (1/6)^30
  });
});
