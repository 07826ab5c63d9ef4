/**
 * Disk-full on the lattice's state writes: a real nats-server whose JetStream file storage is
 * capped at 1 MiB. Storing a 2 MiB actor fails with WACTOR_ERR_LATTICE_STORAGE_FULL (not a
 * bare NATS "503"), nothing half-written becomes visible, and invocations across the lattice,
 * which need no storage, go on.
 */
import { readFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "nats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeyPair } from "../../src/claims/nkeys.js";
import { signModule } from "../../src/claims/sign.js";
import { appendCustomSection, stripJwtSections } from "../../src/claims/wasm-sections.js";
import { ControlClient } from "../../src/lattice/mod.js";
import { actor } from "../helpers/actors.js";
import { codeOf } from "../helpers/code-of.js";
import { joinMember, leaveMember, type Member } from "../helpers/lattice-member.js";
import { startNats, type ServerHandle } from "../helpers/servers.js";

describe("hardening: JetStream storage full", () => {
  const cluster = KeyPair.create("cluster");
  let nats: ServerHandle;
  let client: ControlClient;
  let caller: Member;
  let worker: Member;
  let bigPath: string;

  beforeAll(async () => {
    nats = await startNats({ jetstream: true, maxStoreBytes: 1024 * 1024 });
    client = await ControlClient.connect({ url: nats.url });
    caller = await joinMember(nats.url, { cluster });
    worker = await joinMember(nats.url, { cluster });
    await worker.host.startActor(actor("echo").signedPath);
    const padded = appendCustomSection(stripJwtSections(new Uint8Array(readFileSync(actor("echo").path))), "padding", new Uint8Array(2 * 1024 * 1024));
    const signed = await signModule(padded, { issuer: KeyPair.create("account"), subject: KeyPair.create("module"), caps: [], name: "big" });
    bigPath = join(mkdtempSync(join(tmpdir(), "wactor-full-")), "big_s.wasm");
    writeFileSync(bigPath, signed.bytes);
  });

  afterAll(async () => {
    for (const m of [caller, worker]) await leaveMember(m);
    await client?.close();
    await nats?.stop();
  });

  it("an actor too big for the store is refused with STORAGE_FULL, and the lattice serves on", async () => {
    await expect(client.uploadModule(bigPath)).rejects.toMatchObject({
      code: "WACTOR_ERR_LATTICE_STORAGE_FULL",
      status: 507,
      message: expect.stringContaining("max_file_store"),
    });
    await expect(client.resolveModule("big")).rejects.toMatchObject({ code: "WACTOR_ERR_ARTIFACT_NOT_FOUND" });
    const reply = await caller.lattice.invoke(actor("echo").publicKey, "Echo", new TextEncoder().encode("still here"));
    expect(new TextDecoder().decode(reply)).toBe("still here");
  });

  it("a link written to a full store is refused with STORAGE_FULL and nothing of it is stored", async () => {
    await fillStore(nats.url);
    const link = { actor: actor("echo").publicKey, capabilityId: "wascc:http_server", values: { PORT: "0" } };
    expect(await codeOf(client.putLink(link))).toBe("WACTOR_ERR_LATTICE_STORAGE_FULL");
    expect((await client.getLinks()).some((l) => l.actorKey === link.actor)).toBe(false);
    // Invocations need no storage: the lattice still serves.
    const reply = await caller.lattice.invoke(actor("echo").publicKey, "Echo", new TextEncoder().encode("still here"));
    expect(new TextDecoder().decode(reply)).toBe("still here");
  });
});

/**
 * Fills JetStream to the last few bytes, deterministically: writes 1 KiB, then 16-byte
 * entries to a bucket of its own until the server refuses one. What is left then is smaller
 * than any link entry (key alone is longer), so the next state write must fail.
 */
async function fillStore(url: string): Promise<void> {
  const nc = await connect({ servers: url });
  try {
    const kv = await nc.jetstream().views.kv("filler", { history: 1 });
    let i = 0;
    for (const size of [1024, 16]) {
      for (let refused = false; !refused && i < 5000; i++) {
        refused = await kv.put(`k${i}`, new Uint8Array(size)).then(
          () => false,
          () => true,
        );
      }
    }
    expect(i).toBeLessThan(5000);
  } finally {
    await nc.close();
  }
}
