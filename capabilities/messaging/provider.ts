/**
 * `wascc:messaging` over NATS (the `nats` v2 client): one connection per binding.
 *
 * Binding values:
 * - `URL` (default nats://127.0.0.1:4222): server URL, or several separated by commas.
 * - `SUBSCRIPTION` (optional): comma-separated subjects delivered to the actor as
 *   `DeliverMessage`; wildcards allowed; `subject|queue` joins queue group `queue`.
 * - credentials and TLS (optional): see `access.ts`.
 *
 * Actors answer a message with a reply subject by publishing to `replyTo` themselves, as in
 * waSCC; the provider never auto-responds. While the server is away the client reconnects
 * forever, publishes are buffered by the client, and bindingStatus says `failed`.
 */
import { ErrorCode as NatsErrorCode, Events, connect, type Msg, type MsgHdrs, type NatsConnection, type NatsError } from "nats";
import {
  CAP_MESSAGING,
  EMPTY_REPLY,
  OP_DELIVER_MESSAGE,
  OP_PUBLISH,
  OP_REQUEST,
  decodeBrokerMessage,
  decodeRequestMessage,
  encodeBrokerMessage,
} from "../../src/codec/mod.js";
import { WactorError } from "../../src/errors.js";
import type { ActorIdentity, BindingStatus, CapabilityProvider, MessageTarget, ProviderCall, ProviderContext } from "../../src/provider/contract.js";
import { bindingFor, bindingKey, reasonOf, redactUrl, requireContext, unknownOperation, withTimeout } from "../shared.js";
import { connectFailureCause, natsConnectOptions, type NatsAccess } from "../../src/nats/access.js";
import { accessFromValues } from "./access.js";
import { assertSubject, parseSubscriptions } from "./subjects.js";
import { traceDelivery, tracePublish } from "./trace.js";

export const DEFAULT_NATS_URL = "nats://127.0.0.1:4222";

export interface MessagingProviderOptions {
  name?: string;
  /** How long the first connection may take at bind time. Default 2000 ms. */
  connectTimeoutMs?: number;
  /** Delay between reconnection attempts. Default 250 ms. */
  reconnectWaitMs?: number;
}

interface Connection {
  nc: NatsConnection;
  url: string;
  /** Set while the client is between a disconnect and a reconnect. */
  down: string | undefined;
}

function parseServers(values: Readonly<Record<string, string>>): string[] {
  const raw = values.URL?.trim() || DEFAULT_NATS_URL;
  return raw.split(",").map((server) => {
    const url = server.trim();
    if (!/^(nats|tls|ws|wss):\/\/[^\s/]+/.test(url) && !/^[\w.-]+:\d+$/.test(url)) {
      throw new WactorError("WACTOR_ERR_BINDING_INVALID", `URL '${redactUrl(url)}' must look like nats://host:port`);
    }
    return url;
  });
}

const natsCode = (err: unknown): string | undefined => (err as Partial<NatsError> | null)?.code;

export class MessagingProvider implements CapabilityProvider {
  readonly capabilityId = CAP_MESSAGING;
  readonly name: string;
  readonly #options: MessagingProviderOptions;
  #context: ProviderContext | undefined;
  readonly #connections = new Map<string, Connection>();

  constructor(options: MessagingProviderOptions = {}) {
    this.name = options.name ?? "messaging";
    this.#options = options;
  }

  async start(context: ProviderContext): Promise<void> {
    this.#context = context;
  }

  /** Draining unsubscribes, lets delivered messages finish, then closes each connection. */
  async quiesce(): Promise<void> {
    const connections = [...this.#connections.values()];
    this.#connections.clear();
    await Promise.all(connections.map((c) => c.nc.drain().catch(() => c.nc.close())));
  }

  async stop(): Promise<void> {
    const connections = [...this.#connections.values()];
    this.#connections.clear();
    await Promise.all(connections.map((c) => c.nc.close()));
  }

  bind(actor: ActorIdentity, binding: string, values: Readonly<Record<string, string>>): Promise<void> {
    const context = requireContext(this.#context, this.capabilityId);
    return this.#listen(context, actor.key, binding, values, (err, msg) => this.#deliver(context, actor.key, binding, err, msg));
  }

  /**
   * Subscriptions answered by a host part instead of an actor (a bundle's stream handlers):
   * `owner` names it (for logs and `unbind()`), the values are a binding's. What `target`
   * resolves with is published to the message's reply subject, when it has one.
   */
  mount(owner: string, binding: string, values: Readonly<Record<string, string>>, target: MessageTarget): Promise<void> {
    const context = requireContext(this.#context, this.capabilityId);
    return this.#listen(context, owner, binding, values, (err, msg) => {
      if (err) return void context.logger.warn({ actor: owner, binding, err }, "nats subscription error");
      target({ subject: msg.subject, replyTo: msg.reply ?? "", body: msg.data })
        .then((reply) => {
          if (reply !== undefined && msg.reply) msg.respond(reply);
        })
        .catch((failure: unknown) => context.logger.warn({ actor: owner, binding, subject: msg.subject, err: failure }, "mounted message handler failed"));
    });
  }

  async #listen(
    context: ProviderContext,
    owner: string,
    binding: string,
    values: Readonly<Record<string, string>>,
    onMessage: (err: NatsError | null, msg: Msg) => void,
  ): Promise<void> {
    const servers = parseServers(values);
    const subscriptions = parseSubscriptions(values.SUBSCRIPTION);
    const access: NatsAccess | undefined = accessFromValues(values);
    let credentials: ReturnType<typeof natsConnectOptions>;
    try {
      credentials = natsConnectOptions(access);
    } catch (err) {
      throw new WactorError("WACTOR_ERR_BINDING_INVALID", reasonOf(err), { cause: err });
    }
    const shown = servers.map(redactUrl).join(",");
    const timeoutMs = this.#options.connectTimeoutMs ?? 2000;
    const pending = connect({
      servers,
      name: `wactor ${owner}/${binding}`,
      timeout: timeoutMs,
      maxReconnectAttempts: -1,
      reconnectTimeWait: this.#options.reconnectWaitMs ?? 250,
      ...credentials,
    });
    let nc: NatsConnection;
    try {
      // The outer timeout also covers a server that accepts TCP but never speaks NATS.
      nc = await withTimeout(pending, timeoutMs + 500, () => new Error(`no NATS handshake within ${timeoutMs} ms`));
    } catch (err) {
      pending.then((late) => late.close()).catch(() => {});
      throw new WactorError("WACTOR_ERR_BINDING_FAILED", `nats at ${shown}: ${connectFailureCause(err, access)}`, { cause: err });
    }
    const connection: Connection = { nc, url: shown, down: undefined };
    try {
      for (const { subject, queue } of subscriptions) {
        nc.subscribe(subject, { queue, callback: onMessage });
      }
      // Round trip to the server: the subscriptions are live when bind() resolves.
      await nc.flush();
    } catch (err) {
      await nc.close();
      throw new WactorError("WACTOR_ERR_BINDING_FAILED", `nats at ${shown}: subscribing failed: ${reasonOf(err)}`, { cause: err });
    }
    void this.#watch(connection, context, owner, binding);
    const key = bindingKey(owner, binding);
    const previous = this.#connections.get(key);
    this.#connections.set(key, connection);
    await previous?.nc.close();
  }

  async unbind(actorKey: string, binding: string): Promise<void> {
    const key = bindingKey(actorKey, binding);
    const connection = this.#connections.get(key);
    this.#connections.delete(key);
    await connection?.nc.close();
  }

  bindingStatus(actorKey: string, binding: string): BindingStatus | undefined {
    const connection = this.#connections.get(bindingKey(actorKey, binding));
    if (!connection) return undefined;
    if (connection.nc.isClosed()) return { state: "failed", reason: `connection to nats at ${connection.url} closed` };
    return connection.down === undefined ? { state: "ok" } : { state: "failed", reason: connection.down };
  }

  async handleCall(call: ProviderCall): Promise<Uint8Array> {
    if (call.operation !== OP_PUBLISH && call.operation !== OP_REQUEST) throw unknownOperation(this.capabilityId, call.operation);
    const connection = bindingFor(this.#connections, this.capabilityId, call);
    if (call.operation === OP_PUBLISH) {
      const message = decodeBrokerMessage(call.payload, "messaging Publish");
      assertSubject(message.subject, false, "WACTOR_ERR_BAD_PAYLOAD", "Publish subject");
      if (message.replyTo !== "") assertSubject(message.replyTo, false, "WACTOR_ERR_BAD_PAYLOAD", "Publish replyTo");
      const publish = async (headers: MsgHdrs | undefined): Promise<Uint8Array> => {
        try {
          connection.nc.publish(message.subject, message.body, { ...(message.replyTo && { reply: message.replyTo }), ...(headers && { headers }) });
        } catch (err) {
          throw this.#unavailable(connection, err);
        }
        return EMPTY_REPLY;
      };
      const tracing = this.#context?.tracing;
      return tracing ? tracePublish(tracing, OP_PUBLISH, message.subject, publish) : publish(undefined);
    }
    const request = decodeRequestMessage(call.payload);
    assertSubject(request.subject, false, "WACTOR_ERR_BAD_PAYLOAD", "Request subject");
    if (request.timeout <= 0) throw new WactorError("WACTOR_ERR_BAD_PAYLOAD", `messaging Request: timeout must be > 0 ms, got ${request.timeout}`);
    const tracing = this.#context?.tracing;
    const send = (headers: MsgHdrs | undefined): Promise<Msg> =>
      connection.nc.request(request.subject, request.body, { timeout: request.timeout, ...(headers && { headers }) });
    try {
      const reply = await (tracing ? tracePublish(tracing, OP_REQUEST, request.subject, send) : send(undefined));
      return encodeBrokerMessage({ subject: reply.subject, replyTo: "", body: reply.data });
    } catch (err) {
      const code = natsCode(err);
      if (code === NatsErrorCode.Timeout)
        throw new WactorError("WACTOR_ERR_REQUEST_TIMEOUT", `no reply on '${request.subject}' within ${request.timeout} ms`, { cause: err });
      if (code === NatsErrorCode.NoResponders) throw new WactorError("WACTOR_ERR_REQUEST_TIMEOUT", `no responders on '${request.subject}'`, { cause: err });
      throw this.#unavailable(connection, err);
    }
  }

  #unavailable(connection: Connection, err: unknown): WactorError {
    return new WactorError("WACTOR_ERR_PROVIDER_UNAVAILABLE", `nats at ${connection.url}: ${reasonOf(err)}`, { cause: err });
  }

  #deliver(context: ProviderContext, actorKey: string, binding: string, err: NatsError | null, msg: Msg): void {
    if (err) {
      context.logger.warn({ actor: actorKey, binding, err }, "nats subscription error");
      return;
    }
    const payload = encodeBrokerMessage({ subject: msg.subject, replyTo: msg.reply ?? "", body: msg.data });
    const deliver = (): Promise<Uint8Array> => context.deliver(actorKey, binding, OP_DELIVER_MESSAGE, payload);
    (context.tracing ? traceDelivery(context.tracing, actorKey, msg, deliver) : deliver()).catch((failure: unknown) => {
      context.logger.warn({ actor: actorKey, binding, subject: msg.subject, err: failure }, "DeliverMessage failed");
    });
  }

  /** Follows the client's status events until the connection closes. */
  async #watch(connection: Connection, context: ProviderContext, actorKey: string, binding: string): Promise<void> {
    try {
      for await (const status of connection.nc.status()) {
        if (status.type === Events.Disconnect) {
          connection.down = `disconnected from nats at ${connection.url}; reconnecting`;
          context.logger.warn({ actor: actorKey, binding, server: connection.url }, "nats disconnected");
        } else if (status.type === Events.Reconnect) {
          connection.down = undefined;
          context.logger.info({ actor: actorKey, binding, server: connection.url }, "nats reconnected");
        }
      }
    } catch (err) {
      context.logger.warn({ actor: actorKey, binding, err }, "nats status stream failed");
    }
  }
}
