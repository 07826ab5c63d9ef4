/**
 * A runnable moves like any actor (the lattice and the registry move bytes and claims, never
 * look at the ABI): started with `ctl start actor` from a file (uploaded to the object store)
 * and invoked with a signed lattice invocation; pushed to a real OCI registry and pulled back.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { KeyPair } from "../src/claims/nkeys.js";
import { ControlClient } from "../src/lattice/mod.js";
import { joinMember, leaveMember, type Member } from "./helpers/lattice-member.js";
import { echoRunnable, signedRunnable } from "./helpers/runnable-guests.js";
import { pullActor, pushActor } from "../src/oci/mod.js";
import { startRegistry } from "./helpers/registry.js";
import { startNats, type ServerHandle } from "./helpers/servers.js";

const cluster = KeyPair.create("cluster");
let nats: ServerHandle;
let member: Member;
let client: ControlClient;

beforeAll(async () => {
  nats = await startNats({ jetstream: true });
  client = await ControlClient.connect({ url: nats.url, timeoutMs: 60_000 });
  member = await joinMember(nats.url, { labels: { role: "compute" }, cluster });
}, 240_000);
afterAll(async () => {
  await leaveMember(member);
  await client?.close();
  await nats?.stop();
});

it("ctl start actor places a runnable from its file, and a lattice invocation runs a job on it", async () => {
  const dir = mkdtempSync(join(tmpdir(), "wactor-runnable-lattice-"));
  const path = join(dir, "echo-runnable.wasm");
  const runnable = await signedRunnable(echoRunnable(), { name: "lattice-runnable" });
  writeFileSync(path, runnable.bytes);
  const started = await client.startActor({ path }, { hostId: member.lattice.hostId });
  expect(JSON.stringify(started)).toContain(runnable.key);
  expect(member.host.actorInfo(runnable.key)?.name).toBe("lattice-runnable");
  const reply = await client.invokeActor("lattice-runnable", "run", new TextEncoder().encode("across the lattice"), { clusterKey: cluster, timeoutMs: 60_000 });
  expect(new TextDecoder().decode(reply)).toBe("across the lattice");
}, 240_000);

it("an OCI push and pull carry a runnable, verified, ready to start", async () => {
  const registry = await startRegistry();
  try {
    const runnable = await signedRunnable(echoRunnable(), { name: "oci-runnable" });
    const reference = `${registry.host}/runnables/echo:v1`;
    await pushActor(reference, runnable.bytes, "echo-runnable.wasm", { insecure: true });
    const pulled = await pullActor(reference, { insecure: true });
    expect(pulled.bytes).toEqual(runnable.bytes);
    const key = (await member.host.startActor(pulled.bytes)).key;
    expect(new TextDecoder().decode(await member.host.invoke(key, "run", new TextEncoder().encode("pulled")))).toBe("pulled");
  } finally {
    await registry.stop();
  }
}, 240_000);
