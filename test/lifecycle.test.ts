/**
 * The actor lifecycle as the host reports it (`host.events`, "actor_state"): live update,
 * stop, and failures with their reason. A stopped or failed actor is no longer in the host's
 * table, so what the events said is all there is to observe about its end.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { pino } from "pino";
import { KeyPair } from "../src/claims/nkeys.js";
import type { HostEventMap } from "../src/host/events.js";
import { Host } from "../src/host/host.js";
import { signedRawGuest } from "./helpers/raw-guest.js";
import { codeOf } from "./helpers/code-of.js";

type StateEvent = HostEventMap["actor_state"][0];

const enc = (text: string) => new TextEncoder().encode(text);
const dec = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** Every actor_state event of a host, in order. */
function record(host: Host): StateEvent[] {
  const seen: StateEvent[] = [];
  host.events.on("actor_state", (e) => seen.push(e));
  return seen;
}

const statesOf = (events: StateEvent[], actorKey: string): string[] => events.filter((e) => e.actorKey === actorKey).map((e) => e.state);

describe("actor lifecycle through host events", () => {
  const host = new Host({ logger: pino({ level: "silent" }), actorDefaults: { instances: 1 } });
  const events = record(host);
  beforeEach(() => {
    events.length = 0;
  });
  afterAll(() => host.shutdown());

  it("a live update goes running -> updating -> running, and the new version serves", async () => {
    const subject = KeyPair.create("module");
    const key = (await host.startActor((await signedRawGuest({ subject, ver: "1" })).bytes)).key;
    expect(statesOf(events, key)).toEqual(["starting", "running"]); // loading/verifying carry no key yet
    events.length = 0;

    const update = host.replaceActor(key, (await signedRawGuest({ subject, ver: "2" })).bytes);
    // The state changes as the update begins, before the new module is even verified.
    expect(host.actorInfo(key)?.state).toBe("updating");
    await update;
    expect(statesOf(events, key)).toEqual(["updating", "running"]);
    expect(events.map((e) => e.reason)).toEqual([undefined, undefined]);
    expect(host.actorInfo(key)).toMatchObject({ state: "running", claims: { ver: "2" } });
    expect(dec(await host.invoke(key, "Echo", enc("after update")))).toBe("after update");
  });

  it("a refused update goes back to running with the reason, the old version still serving, until an update succeeds", async () => {
    const subject = KeyPair.create("module");
    const key = (await host.startActor((await signedRawGuest({ subject, ver: "1" })).bytes)).key;
    events.length = 0;

    const stranger = await signedRawGuest({ subject: KeyPair.create("module") });
    expect(await codeOf(host.replaceActor(key, stranger.bytes))).toBe("WACTOR_ERR_SUBJECT_MISMATCH");
    expect(statesOf(events, key)).toEqual(["updating", "running"]);
    expect(events.at(-1)?.reason).toMatch(/^WACTOR_ERR_SUBJECT_MISMATCH: /);
    expect(host.actorInfo(key)).toMatchObject({ state: "running", claims: { ver: "1" } });
    expect(dec(await host.invoke(key, "Echo", enc("still v1")))).toBe("still v1");
    expect(host.actorInfo(key)?.reason).toMatch(/^WACTOR_ERR_SUBJECT_MISMATCH: /);

    // A later good update clears it: no stale failure shown beside the version that runs.
    events.length = 0;
    await host.replaceActor(key, (await signedRawGuest({ subject, ver: "2" })).bytes);
    expect(events.map((e) => [e.state, e.reason])).toEqual([
      ["updating", expect.stringMatching(/SUBJECT_MISMATCH/)],
      ["running", undefined],
    ]);
    expect(host.actorInfo(key)).toMatchObject({ state: "running", reason: undefined, claims: { ver: "2" } });
  });

  it("a stop goes running -> stopping -> stopped, and the actor is gone", async () => {
    const { key } = await host.startActor((await signedRawGuest({ name: "to-stop" })).bytes);
    events.length = 0;

    await host.stopActor(key);
    expect(statesOf(events, key)).toEqual(["stopping", "stopped"]);
    expect(events.every((e) => e.name === "to-stop" && e.reason === undefined)).toBe(true);
    expect(host.actorInfo(key)).toBeUndefined();
    expect(await codeOf(host.invoke(key, "Echo", enc("")))).toBe("WACTOR_ERR_ACTOR_NOT_FOUND");
  });

  it("a module that fails verification ends in failed, with the error code as the reason", async () => {
    // Sign, then change one byte of the guest's data: the claims' hash no longer matches.
    const signed = (await signedRawGuest({})).bytes;
    // AssemblyScript keeps string literals as UTF-16LE in the data section.
    const at = Buffer.from(signed).indexOf(Buffer.from("guest says no", "utf16le"));
    expect(at).toBeGreaterThan(0);
    const tampered = new Uint8Array(signed);
    tampered[at] = "G".charCodeAt(0);
    // From a file, so the events name the actor by its path before any claims are read.
    const dir = mkdtempSync(join(tmpdir(), "wactor-lifecycle-"));
    try {
      const path = join(dir, "tampered.wasm");
      writeFileSync(path, tampered);
      expect(await codeOf(host.startActor(path))).toBe("WACTOR_ERR_HASH_MISMATCH");
      expect(statesOf(events, path)).toEqual(["loading", "verifying", "failed"]);
      expect(events.at(-1)?.reason).toMatch(/^WACTOR_ERR_HASH_MISMATCH: /);
      expect(host.listActors().map((a) => a.key)).not.toContain(path);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("an untrusted issuer fails verification too; the reason names the code", async () => {
    const strict = new Host({ logger: pino({ level: "silent" }), trustedIssuers: [KeyPair.create("account").publicKey] });
    const seen = record(strict);
    try {
      const guest = await signedRawGuest({});
      expect(await codeOf(strict.startActor(guest.bytes))).toBe("WACTOR_ERR_UNTRUSTED_ISSUER");
      // Bytes have no name until claims are accepted: the events say "(bytes)".
      expect(seen.map((e) => `${e.actorKey} ${e.state}`)).toEqual(["(bytes) loading", "(bytes) verifying", "(bytes) failed"]);
      expect(seen.at(-1)?.reason).toMatch(/^WACTOR_ERR_UNTRUSTED_ISSUER: /);
      expect(strict.listActors()).toEqual([]);
    } finally {
      await strict.shutdown();
    }
  });
});
