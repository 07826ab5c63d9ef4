/**
 * The replica decision on a single nats-server: JetStream refuses three replicas there, so a
 * bucket is created with one and a warning says why; an existing bucket is bound as it is.
 */
import { connect, type NatsConnection } from "nats";
import { pino } from "pino";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LatticeBuckets } from "../src/lattice/state/buckets.js";
import { codeOf } from "./helpers/code-of.js";
import { startNats, type ServerHandle } from "./helpers/servers.js";

describe("lattice buckets on a single server", () => {
  let nats: ServerHandle;
  let nc: NatsConnection;
  const lines: Array<{ level: number; msg: string; bucket: string; replicas: number; reason?: string }> = [];
  const logger = pino(
    { level: "info" },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()));
        done();
      },
    }),
  );

  beforeAll(async () => {
    nats = await startNats({ jetstream: true });
    nc = await connect({ servers: nats.url });
  });
  afterAll(async () => {
    await nc?.close();
    await nats?.stop();
  });

  it("creates with one replica, warns once with JetStream's reason, and reports the bucket healthy", async () => {
    const buckets = new LatticeBuckets(nc.jetstream(), await nc.jetstreamManager(), { logger });
    const kv = await buckets.kv("t_links", { history: 5 });
    await buckets.os("t_actors");
    expect((await kv.status()).replicas).toBe(1);
    const warnings = lines.filter((l) => l.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ bucket: "t_links", replicas: 1 });
    expect(warnings[0]!.reason).toContain("non-clustered");
    expect(lines.find((l) => l.bucket === "t_actors")).toMatchObject({ level: 30, replicas: 1 });
    const health = await buckets.health([
      { bucket: "t_links", kind: "kv" },
      { bucket: "t_actors", kind: "object" },
      { bucket: "t_never_created", kind: "kv" },
    ]);
    expect(health).toEqual([
      { bucket: "t_links", kind: "kv", replicas: 1, current: 1, state: "ok", lagging: [] },
      { bucket: "t_actors", kind: "object", replicas: 1, current: 1, state: "ok", lagging: [] },
    ]);
  });

  it("binds an existing bucket whatever the configured count; a count JetStream cannot place is a catalog error", async () => {
    const forced = new LatticeBuckets(nc.jetstream(), await nc.jetstreamManager(), { replicas: 3 });
    expect((await (await forced.kv("t_links", { history: 5 })).status()).replicas).toBe(1);
    expect(await codeOf(forced.kv("t_fresh", { history: 1 }))).toBe("WACTOR_ERR_LATTICE_STATE_WRITE");
    expect(() => new LatticeBuckets(nc.jetstream(), {} as never, { replicas: 0 })).toThrow(/--js-replicas/);
  });
});
