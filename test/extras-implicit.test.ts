/**
 * waSCC's host binds its extras provider to every actor that claims `wascc:extras` (spec
 * section 2); waSCC manifests never bind it. The `dice` actor claims it and calls
 * RequestGuid, RequestRandom and RequestSequence; here it runs with no extras binding
 * anywhere: from the Host API, both manifest forms, `wactor call`, and a lattice host.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { KeyPair } from "../src/claims/nkeys.js";
import { decodeHttpResponse, encodeHttpRequest } from "../src/codec/mod.js";
import { Host } from "../src/host/host.js";
import { ControlClient } from "../src/lattice/mod.js";
import { actor, signedBytes, unsignedBytes } from "./helpers/actors.js";
import { wactor } from "./helpers/cli.js";
import { joinMember, leaveMember } from "./helpers/lattice-member.js";
import { freePort, startNats } from "./helpers/servers.js";
import { SpyProvider } from "./helpers/spy-provider.js";
import { signModule } from "../src/claims/sign.js";

const dir = mkdtempSync(join(tmpdir(), "wactor-extras-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const request = (): Uint8Array => encodeHttpRequest({ method: "GET", path: "/", queryString: "", header: {}, body: new Uint8Array() });
type Dice = { id: string; roll: number; seq: number };
const roll = async (host: Host, key: string): Promise<Dice> => {
  const reply = decodeHttpResponse(await host.invoke(key, "HandleRequest", request()));
  expect(reply.statusCode).toBe(200);
  return JSON.parse(new TextDecoder().decode(reply.body)) as Dice;
};

/** A fresh host with no provider at all, shut down after `use`. */
const onHost = (use: (host: Host) => Promise<void>) => async (): Promise<void> => {
  const host = new Host({ logger: pino({ level: "silent" }), actorDefaults: { instances: 1 } });
  try {
    await use(host);
  } finally {
    await host.shutdown();
  }
};

describe("extras: bound by the host for every actor that claims it", () => {
  it(
    "a host with no provider and no binding serves guid, random and sequence",
    onHost(async (host) => {
      const { key } = await host.startActor(signedBytes("dice"));
      const first = await roll(host, key);
      const second = await roll(host, key);
      expect(first.id).toMatch(/^[0-9a-f-]{36}$/);
      expect([first.seq, second.seq]).toEqual([0, 1]);
      expect(first.roll).toBeGreaterThanOrEqual(1);
      expect(first.roll).toBeLessThanOrEqual(6);
      expect(host.listBindings().map((b) => `${b.capabilityId}/${b.binding}`)).toEqual(["wascc:extras/default"]);
      await host.stopActor(key);
      expect(host.listBindings()).toEqual([]);
    }),
  );

  it(
    "binds nothing for an actor that does not claim it",
    onHost(async (host) => {
      await host.startActor(signedBytes("echo"));
      expect(host.listBindings()).toEqual([]);
      expect(host.providerIds()).toEqual([]);
    }),
  );

  it(
    "an explicit binding and an explicit provider win",
    onHost(async (host) => {
      const { key } = await host.startActor(signedBytes("dice"));
      expect((await roll(host, key)).seq).toBe(0);
      // A provider of the operator's own replaces the built-in one, with its bindings.
      const spy = new SpyProvider("wascc:extras");
      await host.addProvider(spy);
      expect([...spy.bound.keys()]).toEqual([`${key}/default`]);
      await host.bind(key, "wascc:extras", "default", { SEED: "1" });
      expect(spy.bound.get(`${key}/default`)).toEqual({ SEED: "1" });
      await host.invoke(key, "HandleRequest", request());
      expect(spy.calls.map((c) => c.operation)).toEqual(["RequestGuid", "RequestRandom", "RequestSequence"]);
      // An explicit binding is not the host's to remove when the actor is replaced.
      await host.replaceActor(key, signedBytes("dice"));
      expect(host.bindings.get(key, "wascc:extras", "default")?.values).toEqual({ SEED: "1" });
    }),
  );

  it(
    "a live update that adds the claim gets the binding too",
    onHost(async (host) => {
      const issuer = KeyPair.create("account");
      const subject = KeyPair.create("module");
      const unsigned = unsignedBytes("dice");
      const without = await signModule(unsigned, { issuer, subject, caps: ["wascc:http_server"], name: "dice" });
      const withExtras = await signModule(unsigned, { issuer, subject, caps: ["wascc:http_server", "wascc:extras"], name: "dice" });
      const { key } = await host.startActor(without.bytes);
      expect(host.listBindings()).toEqual([]);
      await host.replaceActor(key, withExtras.bytes);
      expect((await roll(host, key)).seq).toBe(0);
    }),
  );
});

describe("extras without a binding, from the command line", () => {
  it("wactor call on the module alone", () => {
    const result = wactor(["call", actor("dice").signedPath, "HandleRequest"]);
    expect(result.stderr).not.toContain("error[");
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ statusCode: 200, body: { seq: 0 } });
  });

  it("wactor call with a wactor manifest that binds only HTTP", async () => {
    const file = join(dir, "modern.yaml");
    const port = await freePort();
    writeFileSync(
      file,
      `actors: [${actor("dice").signedPath}]\ncapabilities:\n  - { id: wascc:http_server }\nbindings:\n  - { actor: dice, capability: wascc:http_server, values: { PORT: "${port}" } }\n`,
    );
    const result = wactor(["call", "dice", "HandleRequest", "--manifest", file]);
    expect(result.stderr).not.toContain("error[");
    expect(JSON.parse(result.stdout)).toMatchObject({ statusCode: 200, body: { seq: 0 } });
  });

  it("wactor call with a waSCC 0.14 manifest (native libraries, module key, no extras binding)", async () => {
    const file = join(dir, "wascc.yaml");
    const port = await freePort();
    writeFileSync(
      file,
      [
        "actors:",
        `  - ${actor("dice").signedPath}`,
        "capabilities:",
        "  - path: ./libwascc_httpsrv.so",
        "bindings:",
        `  - actor: ${actor("dice").publicKey}`,
        "    capability: wascc:http_server",
        `    values: { PORT: "${port}" }`,
        "",
      ].join("\n"),
    );
    const result = wactor(["call", actor("dice").publicKey, "HandleRequest", "--manifest", file]);
    expect(result.stderr).not.toContain("error[");
    expect(JSON.parse(result.stdout)).toMatchObject({ statusCode: 200, body: { seq: 0 } });
  });
});

describe("extras on a lattice host", () => {
  it("an actor started through the control interface gets its extras binding there", async () => {
    const nats = await startNats({ jetstream: true });
    const cluster = KeyPair.create("cluster");
    const member = await joinMember(nats.url, { cluster, capabilities: [], instances: 1 });
    const client = await ControlClient.connect({ url: nats.url });
    try {
      await client.startActor({ path: actor("dice").signedPath }, { hostId: member.lattice.hostId, instances: 1 });
      const reply = decodeHttpResponse(await client.invokeActor("dice", "HandleRequest", request(), { clusterKey: cluster }));
      expect(reply.statusCode).toBe(200);
      expect(JSON.parse(new TextDecoder().decode(reply.body))).toMatchObject({ seq: 0 });
      // Lattice links outlive an actor on one host; the host's own extras binding does not.
      await client.stopActor("dice", { hostId: member.lattice.hostId });
      expect(member.host.listBindings()).toEqual([]);
    } finally {
      await client.close();
      await leaveMember(member);
      await nats.stop();
    }
  });
});
