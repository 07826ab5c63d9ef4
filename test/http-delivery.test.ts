/**
 * `Host.invokeHttp`, the http_server provider's path on this host (docs/runtime.md): a waPC
 * actor's reply is decoded as its invocation ends, a reply that is no HTTP response fails that
 * call alone (the instance serves on), and a runnable's response headers are its own map.
 */
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeyPair } from "../src/claims/nkeys.js";
import { signModule } from "../src/claims/sign.js";
import { Host } from "../src/host/host.js";
import { suspensionMode } from "../src/runtime/suspension.js";
import { actor } from "./helpers/actors.js";
import { codeOf } from "./helpers/code-of.js";
import { testAccount } from "./helpers/raw-guest.js";
import { echoRunnable, requestRunnable, signedRunnable } from "./helpers/runnable-guests.js";
import { assemble } from "./helpers/wat-guests.js";

/** A waPC guest that answers every operation with "not msgpack" (no HTTP response). */
function notHttpGuest(): Uint8Array {
  return assemble(`(module
 (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
 (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
 (memory (export "memory") 1)
 (data (i32.const 16) "not msgpack")
 (func (export "__guest_call") (param $op i32) (param $msg i32) (result i32)
  (call $guest_request (i32.const 1024) (i32.add (i32.const 1024) (local.get $op)))
  (call $guest_response (i32.const 16) (i32.const 11))
  (i32.const 1)))`);
}

const request = (body: string) => ({ method: "POST", path: "/p", queryString: "a=1", header: { "x-one": "1" }, body: new TextEncoder().encode(body) });

describe("Host.invokeHttp", () => {
  const host = new Host({ logger: pino({ level: "silent" }) });
  const replaced: string[] = [];
  let echo = "";
  let notHttp = "";

  beforeAll(async () => {
    host.events.on("instance_replaced", (e) => replaced.push(e.actorKey));
    echo = (await host.startActor(actor("echo").signedPath, { instances: 1 })).key;
    const signed = await signModule(notHttpGuest(), { issuer: testAccount, subject: KeyPair.create("module"), name: "not-http", caps: ["wascc:http_server"] });
    notHttp = (await host.startActor(signed.bytes, { instances: 1 })).key;
  });
  afterAll(() => host.shutdown());

  it("answers a waPC actor's HandleRequest with the decoded response", async () => {
    for (let i = 0; i < 3; i++) {
      const response = await host.invokeHttp(echo, request(`body ${i}`));
      expect(response.statusCode).toBe(200);
      const json = JSON.parse(new TextDecoder().decode(response.body)) as { path: string; query_string: string; body: string };
      expect(json).toMatchObject({ path: "/p", query_string: "a=1", body: `body ${i}` });
    }
  });

  it.runIf(suspensionMode() === "jspi")("answers a direct call in the caller's turn: the response itself, no promise", async () => {
    await host.invokeHttp(echo, request("warm"));
    const response = host.invokeHttp(echo, request("now"));
    expect(response).not.toBeInstanceOf(Promise);
    expect(JSON.parse(new TextDecoder().decode((response as Awaited<typeof response>).body))).toMatchObject({ body: "now" });
  });

  it("fails a reply that is no HTTP response with WACTOR_ERR_BAD_PAYLOAD, and the instance serves on", async () => {
    expect(await codeOf(Promise.resolve(host.invokeHttp(notHttp, request("x"))))).toBe("WACTOR_ERR_BAD_PAYLOAD");
    expect(await codeOf(Promise.resolve(host.invokeHttp(notHttp, request("y"))))).toBe("WACTOR_ERR_BAD_PAYLOAD");
    // The same instance still answers plain invocations: the bad reply was not a trap.
    expect(new TextDecoder().decode(await host.invoke(notHttp, "Anything", new Uint8Array()))).toBe("not msgpack");
    expect(replaced).toEqual([]);
    expect(host.actorInfo(notHttp)?.liveInstances).toBe(1);
  });

  it("gives a runnable's response its own header map: empty when the guest set none, the guest's when it did", async () => {
    const plain = await signedRunnable(echoRunnable(), { caps: ["wascc:http_server"], name: "echo-runnable" });
    const key = (await host.startActor(plain.bytes, { instances: 1 })).key;
    const first = await host.invokeHttp(key, request("hello"));
    first.header["x-mine"] = "changed by the caller";
    const second = await host.invokeHttp(key, request("again"));
    expect(new TextDecoder().decode(second.body)).toBe("again");
    expect(second.header).toEqual({});
    const fields = await signedRunnable(requestRunnable(), { caps: ["wascc:http_server"], name: "request-runnable" });
    const withHeaders = (await host.startActor(fields.bytes, { instances: 1 })).key;
    const answered = await host.invokeHttp(withHeaders, request("{}"));
    expect(answered.statusCode).toBe(200);
    expect(answered.header).toMatchObject({ "x-method": "POST", "x-url": "/p?a=1" });
  });
});
