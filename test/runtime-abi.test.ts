/**
 * waPC ABI details real waSCC actors rely on: `wapc_init` runs once before the first
 * `__guest_call` (Rust guests register their handlers there, and again in each fresh
 * instance after a trap), and `__console_log` lines reach the host's log with the actor's key.
 */
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { Host } from "../src/host/host.js";
import { eventually } from "./helpers/eventually.js";
import { signedRawGuest } from "./helpers/raw-guest.js";

const enc = (text: string) => new TextEncoder().encode(text);
const dec = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe("waPC ABI", () => {
  const lines: Array<{ actor?: string; msg?: string }> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split("\n").filter(Boolean)) lines.push(JSON.parse(line) as { actor?: string; msg?: string });
      done();
    },
  });
  const host = new Host({ logger: pino({ level: "info" }, sink), actorDefaults: { instances: 1 } });
  afterAll(() => host.shutdown());

  it("calls wapc_init before the first invocation, and again in the instance that replaces a trapped one", async () => {
    const { bytes } = await signedRawGuest({ caps: [], name: "initialized" });
    const key = (await host.startActor(bytes)).key;
    expect(dec(await host.invoke(key, "Initialized", enc("")))).toBe("yes");
    await expect(host.invoke(key, "Trap", enc(""))).rejects.toMatchObject({ code: "WACTOR_ERR_TRAP" });
    expect(dec(await host.invoke(key, "Initialized", enc("")))).toBe("yes");
  });

  it("writes __console_log lines to the host log with the actor's key", async () => {
    const { bytes } = await signedRawGuest({ caps: [], name: "chatty" });
    const key = (await host.startActor(bytes)).key;
    expect(dec(await host.invoke(key, "Log", enc("hello from the guest")))).toBe("hello from the guest");
    // The line travels by message from the worker, beside the result.
    await eventually(() => expect(lines).toContainEqual(expect.objectContaining({ actor: key, msg: "hello from the guest" })));
  });
});
