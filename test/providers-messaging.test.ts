import { connect, type NatsConnection } from "nats";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MessagingProvider } from "../capabilities/messaging/mod.js";
import { decodeBrokerMessage, decodeFirst, encodeBrokerMessage, encodeRequestMessage, type BrokerMessage } from "../src/codec/mod.js";
import type { ActorIdentity, ProviderContext } from "../src/provider/contract.js";
import { eventually } from "./helpers/eventually.js";
import { freePort, startNats, type ServerHandle } from "./helpers/servers.js";

const actor = (key: string): ActorIdentity => ({ key, issuer: "AISSUER", caps: ["wascc:messaging"] });
const ACTOR = actor("MMSGACTOR");
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const str = (b: Uint8Array): string => new TextDecoder().decode(b);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` holds, on the shared `eventually`. */
const waitFor = (check: () => boolean, what: string, timeoutMs = 5000): Promise<void> =>
  eventually(() => expect(check(), what).toBe(true), { timeoutMs, intervalMs: 20 });

interface Delivery {
  actorKey: string;
  binding: string;
  operation: string;
  message: BrokerMessage;
}
const deliveries: Delivery[] = [];
const provider = new MessagingProvider();

/** Stands in for the host. An actor named MREPLIER answers like a waSCC actor: by publishing to replyTo. */
const context: ProviderContext = {
  logger: pino({ level: "silent" }),
  deliver: async (actorKey, binding, operation, payload) => {
    const message = decodeBrokerMessage(payload);
    deliveries.push({ actorKey, binding, operation, message });
    if (actorKey === "MREPLIER" && message.replyTo) {
      const answer = encodeBrokerMessage({ subject: message.replyTo, replyTo: "", body: text(`re:${str(message.body)}`) });
      await provider.handleCall({ actor: actor(actorKey), binding, operation: "Publish", payload: answer });
    }
    return new Uint8Array();
  },
};

let nats: ServerHandle;
let client: NatsConnection;
beforeAll(async () => {
  nats = await startNats();
  client = await connect({ servers: nats.url });
  await provider.start(context);
});
afterAll(async () => {
  await provider.stop();
  await client?.close();
  await nats?.stop();
});

const publishCall = (subject: string, body: string, replyTo = "", binding = "default") =>
  provider.handleCall({ actor: ACTOR, binding, operation: "Publish", payload: encodeBrokerMessage({ subject, replyTo, body: text(body) }) });
const requestCall = (subject: string, body: string, timeout: number) =>
  provider.handleCall({ actor: ACTOR, binding: "default", operation: "Request", payload: encodeRequestMessage({ subject, body: text(body), timeout }) });

describe("messaging provider (real nats-server)", () => {
  it("delivers subscribed subjects, wildcards included, as DeliverMessage and nothing else", async () => {
    await provider.bind(ACTOR, "default", { URL: nats.url, SUBSCRIPTION: "orders.*, audit.>" });
    expect(provider.bindingStatus(ACTOR.key, "default")).toEqual({ state: "ok" });
    client.publish("orders.new", text("o1"), { reply: "inbox.1" });
    client.publish("audit.a.b", text("a1"));
    client.publish("unrelated", text("no"));
    client.publish("orders.new.too.deep", text("no"));
    await client.flush();
    await waitFor(() => deliveries.filter((d) => d.actorKey === ACTOR.key).length >= 2, "two deliveries");
    await sleep(100);
    const mine = deliveries.filter((d) => d.actorKey === ACTOR.key);
    expect(mine.map((d) => d.message.subject).sort()).toEqual(["audit.a.b", "orders.new"]);
    const order = mine.find((d) => d.message.subject === "orders.new");
    expect(order).toMatchObject({ binding: "default", operation: "DeliverMessage", message: { replyTo: "inbox.1" } });
    expect(str(order?.message.body ?? new Uint8Array())).toBe("o1");
  });

  it("shares a queue group's messages among its members; a plain subscriber gets all", async () => {
    const [a, b, c] = [actor("MQUEUEA"), actor("MQUEUEB"), actor("MPLAIN")];
    await provider.bind(a, "default", { URL: nats.url, SUBSCRIPTION: "jobs|workers" });
    await provider.bind(b, "default", { URL: nats.url, SUBSCRIPTION: "jobs | workers" });
    await provider.bind(c, "default", { URL: nats.url, SUBSCRIPTION: "jobs" });
    try {
      for (let i = 0; i < 20; i++) client.publish("jobs", text(String(i)));
      await client.flush();
      const count = (key: string): number => deliveries.filter((d) => d.actorKey === key && d.message.subject === "jobs").length;
      await waitFor(() => count(a.key) + count(b.key) >= 20 && count(c.key) >= 20, "jobs delivered");
      await sleep(100);
      expect(count(a.key) + count(b.key)).toBe(20);
      expect(count(c.key)).toBe(20);
    } finally {
      for (const x of [a, b, c]) await provider.unbind(x.key, "default");
    }
  });

  it("Publish sends subject, reply subject and body, and answers an empty map", async () => {
    const sub = client.subscribe("out.x", { max: 1 });
    await client.flush();
    const reply = await publishCall("out.x", "payload", "reply.here");
    expect(decodeFirst(reply)).toEqual({});
    // Collected first, asserted after: a loop that never iterates must fail, not pass.
    const received: Array<{ data: string; reply: string | undefined }> = [];
    for await (const msg of sub) received.push({ data: str(msg.data), reply: msg.reply });
    expect(received).toEqual([{ data: "payload", reply: "reply.here" }]);
  });

  it("an actor answers a request by publishing to replyTo (no auto-response)", async () => {
    const replier = actor("MREPLIER");
    await provider.bind(replier, "default", { URL: nats.url, SUBSCRIPTION: "ask.me" });
    try {
      const answer = await client.request("ask.me", text("question"), { timeout: 2000 });
      expect(str(answer.data)).toBe("re:question");
    } finally {
      await provider.unbind(replier.key, "default");
    }
  });

  it("Request returns the reply as a message", async () => {
    const sub = client.subscribe("svc.echo", { callback: (_err, msg) => msg.respond(text(`echo:${str(msg.data)}`)) });
    await client.flush();
    try {
      const reply = decodeBrokerMessage(await requestCall("svc.echo", "hi", 2000));
      expect(str(reply.body)).toBe("echo:hi");
      expect(reply.replyTo).toBe("");
      expect(reply.subject).not.toBe("");
    } finally {
      sub.unsubscribe();
    }
  });

  it("Request without a reply in time fails with WACTOR_ERR_REQUEST_TIMEOUT", async () => {
    const silent = client.subscribe("svc.silent", { callback: () => {} });
    await client.flush();
    try {
      await expect(requestCall("svc.silent", "hello?", 200)).rejects.toMatchObject({ code: "WACTOR_ERR_REQUEST_TIMEOUT", status: 504 });
      await expect(requestCall("svc.nobody", "hello?", 200)).rejects.toMatchObject({ code: "WACTOR_ERR_REQUEST_TIMEOUT" });
      await expect(requestCall("svc.silent", "x", 0)).rejects.toMatchObject({ code: "WACTOR_ERR_BAD_PAYLOAD" });
    } finally {
      silent.unsubscribe();
    }
  });

  it("rejects publishing to a wildcard or malformed subject", async () => {
    await expect(publishCall("out.*", "x")).rejects.toMatchObject({ code: "WACTOR_ERR_BAD_PAYLOAD" });
    await expect(publishCall("out..x", "x")).rejects.toMatchObject({ code: "WACTOR_ERR_BAD_PAYLOAD" });
    await expect(publishCall("", "x")).rejects.toMatchObject({ code: "WACTOR_ERR_BAD_PAYLOAD" });
  });

  it("rejects calls on an unknown binding or operation", async () => {
    await expect(publishCall("out.x", "x", "", "nope")).rejects.toMatchObject({ code: "WACTOR_ERR_NOT_BOUND" });
    await expect(provider.handleCall({ actor: ACTOR, binding: "default", operation: "Subscribe", payload: new Uint8Array() })).rejects.toMatchObject({
      code: "WACTOR_ERR_UNKNOWN_OPERATION",
    });
  });

  it.each([["a..b"], ["a b"], ["a.>.b"], [".a"], ["a."], ["x|"], ["x|a|b"], ["x|q q"], ["ok, "]])(
    "rejects SUBSCRIPTION %j at bind time",
    async (subscription) => {
      const who = actor("MBADSUB");
      await expect(provider.bind(who, "default", { URL: nats.url, SUBSCRIPTION: subscription })).rejects.toMatchObject({
        code: "WACTOR_ERR_BINDING_INVALID",
        status: 400,
      });
      expect(provider.bindingStatus(who.key, "default")).toBeUndefined();
    },
  );

  it("rejects a dead or malformed URL at bind time", async () => {
    const who = actor("MDEADURL");
    const port = await freePort();
    const err = await provider.bind(who, "default", { URL: `nats://127.0.0.1:${port}`, SUBSCRIPTION: "a" }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "WACTOR_ERR_BINDING_FAILED", status: 502 });
    expect((err as Error).message).toContain(String(port));
    await expect(provider.bind(who, "default", { URL: "http://127.0.0.1:80" })).rejects.toMatchObject({ code: "WACTOR_ERR_BINDING_INVALID" });
    expect(provider.bindingStatus(who.key, "default")).toBeUndefined();
  });

  it("reports a lost server in bindingStatus, reconnects and delivers again", async () => {
    const own = await startNats();
    const who = actor("MRECONNECT");
    try {
      await provider.bind(who, "default", { URL: own.url, SUBSCRIPTION: "again" });
      await own.stop();
      await waitFor(() => provider.bindingStatus(who.key, "default")?.state === "failed", "failed status");
      await own.restart();
      await waitFor(() => provider.bindingStatus(who.key, "default")?.state === "ok", "reconnect", 10_000);
      const other = await connect({ servers: own.url });
      try {
        // The client re-subscribes after reconnecting; retry until the server has the interest.
        await waitFor(
          () => {
            other.publish("again", text("back"));
            return deliveries.some((d) => d.actorKey === who.key && str(d.message.body) === "back");
          },
          "delivery after reconnect",
          10_000,
        );
      } finally {
        await other.close();
      }
    } finally {
      await provider.unbind(who.key, "default");
      await own.stop();
    }
  });
});
