/**
 * `wascc:eventstreams` on Redis Streams.
 *
 * Binding values:
 * - `URL` (required): `redis://[user:pass@]host:port[/db]`.
 * - `STREAMS` (optional): comma-separated stream names whose new events are delivered to the
 *   actor as `DeliverEvent`, through a consumer group of the actor (consumer.ts).
 * - `CLAIM_IDLE_MS` (default 30000): how long an event may stay unacknowledged with another
 *   consumer before this host takes it over; keep it above the actor's deadline.
 *
 * `WriteEvent` is XADD (the reply carries Redis' event id), `QueryStream` is XRANGE over the
 * time range (epoch ms, inclusive) and count. docs/eventstreams.md gives the contract.
 */
import { hostname } from "node:os";
import type { Redis } from "ioredis";
import {
  CAP_EVENTSTREAMS,
  OP_DELIVER_EVENT,
  OP_QUERY_STREAM,
  OP_WRITE_EVENT,
  decodeEvent,
  decodeStreamQuery,
  encodeEvent,
  encodeStreamResults,
  encodeWriteResponse,
  type StreamEvent,
} from "../../src/codec/mod.js";
import { WactorError } from "../../src/errors.js";
import type { ActorIdentity, BindingStatus, CapabilityProvider, ProviderCall, ProviderContext } from "../../src/provider/contract.js";
import { ATTR, SPAN } from "../../src/tracing/names.js";
import { bindingFor, bindingKey, integerValue, reasonOf, redactUrl, requireContext, unknownOperation } from "../shared.js";
import { connectRedis, type RedisTimeouts } from "./connect.js";
import { StreamConsumer } from "./consumer.js";

export interface EventStreamsProviderOptions {
  name?: string;
  /**
   * This host's consumer name in every group. Default: `$WACTOR_EVENTSTREAMS_CONSUMER`, else
   * `<hostname>-<pid>`. A name kept across restarts lets a host re-read its own unacknowledged
   * events at once; under a new name the group's other consumers claim them after CLAIM_IDLE_MS.
   * Two hosts serving one actor must not share a name.
   */
  consumer?: string;
  redis?: RedisTimeouts;
  /** Longest XREADGROUP block; also bounds how late a stop is noticed. Default 2000 ms. */
  blockMs?: number;
  /** Delay before a failed delivery is tried again. Default 1000 ms. */
  retryMs?: number;
  /** Events read per XREADGROUP. Default 64. */
  batch?: number;
}

interface StreamBinding {
  commands: Redis;
  url: string;
  consumer: StreamConsumer | undefined;
  lastError: string;
}

/** Group of an actor's binding: every host serving it reads as one group. */
export const groupName = (actorKey: string, binding: string): string => (binding === "default" ? `wactor:${actorKey}` : `wactor:${actorKey}:${binding}`);

function parseStreams(raw: string | undefined): string[] {
  const streams = (raw ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (new Set(streams).size !== streams.length) throw new WactorError("WACTOR_ERR_BINDING_INVALID", `STREAMS names a stream twice: '${raw}'`);
  return streams;
}

/** A failed Redis command: refused (wrong type, bad argument) is the actor's, anything else the service's. */
function refused(state: StreamBinding, err: unknown): WactorError {
  const why = reasonOf(err);
  if (why.startsWith("WRONGTYPE")) return new WactorError("WACTOR_ERR_WRONG_TYPE", why, { cause: err });
  if (why.startsWith("ERR")) return new WactorError("WACTOR_ERR_BAD_PAYLOAD", `redis refused the command: ${why}`, { cause: err });
  return new WactorError("WACTOR_ERR_PROVIDER_UNAVAILABLE", `redis at ${state.url}: ${why}`, { cause: err });
}

export class EventStreamsProvider implements CapabilityProvider {
  readonly capabilityId = CAP_EVENTSTREAMS;
  readonly name: string;
  readonly consumerName: string;
  readonly #options: EventStreamsProviderOptions;
  readonly #bindings = new Map<string, StreamBinding>();
  #context: ProviderContext | undefined;

  constructor(options: EventStreamsProviderOptions = {}) {
    this.name = options.name ?? "eventstreams";
    this.consumerName = options.consumer ?? (process.env.WACTOR_EVENTSTREAMS_CONSUMER || `${hostname()}-${process.pid}`);
    this.#options = options;
  }

  async start(context: ProviderContext): Promise<void> {
    this.#context = context;
  }

  /** Stops reading new events; deliveries in flight are answered and acknowledged. */
  async quiesce(): Promise<void> {
    await Promise.all(
      [...this.#bindings.values()].map(async (b) => {
        const consumer = b.consumer;
        b.consumer = undefined;
        await consumer?.stop();
      }),
    );
  }

  async stop(): Promise<void> {
    const bindings = [...this.#bindings.values()];
    this.#bindings.clear();
    await Promise.all(bindings.map((b) => this.#close(b)));
  }

  async bind(actor: ActorIdentity, binding: string, values: Readonly<Record<string, string>>): Promise<void> {
    const context = requireContext(this.#context, this.capabilityId);
    const url = values.URL?.trim();
    if (!url) throw new WactorError("WACTOR_ERR_BINDING_INVALID", "URL is required: redis://host:port of the Redis that holds the streams");
    const streams = parseStreams(values.STREAMS);
    const claimIdleMs = integerValue(values, "CLAIM_IDLE_MS", 30_000, 86_400_000);
    const redis = this.#options.redis ?? {};
    const commands = await connectRedis(url, redis);
    const state: StreamBinding = { commands, url: redactUrl(url), consumer: undefined, lastError: "" };
    commands.on("error", (err: unknown) => {
      state.lastError = reasonOf(err);
    });
    commands.on("ready", () => {
      state.lastError = "";
    });
    try {
      if (streams.length > 0) {
        const blocking = await connectRedis(url, redis, true);
        blocking.on("error", () => {}); // the consumer reports read failures itself
        const group = groupName(actor.key, binding);
        const deliver = (event: StreamEvent): Promise<Uint8Array> => this.#deliver(context, actor.key, binding, event);
        state.consumer = await StreamConsumer.start({
          streams,
          group,
          consumer: this.consumerName,
          commands,
          blocking,
          deliver,
          batch: this.#options.batch ?? 64,
          blockMs: this.#options.blockMs ?? 2000,
          claimIdleMs,
          retryMs: this.#options.retryMs ?? 1000,
          logger: context.logger.child({ actor: actor.key, binding }),
        }).catch((err: unknown) => {
          blocking.disconnect();
          throw new WactorError("WACTOR_ERR_BINDING_FAILED", `redis at ${state.url}: could not make consumer group ${group}: ${reasonOf(err)}`, { cause: err });
        });
      }
    } catch (err) {
      commands.disconnect();
      throw err;
    }
    const key = bindingKey(actor.key, binding);
    const previous = this.#bindings.get(key);
    this.#bindings.set(key, state);
    if (previous) await this.#close(previous);
  }

  async unbind(actorKey: string, binding: string): Promise<void> {
    const key = bindingKey(actorKey, binding);
    const state = this.#bindings.get(key);
    this.#bindings.delete(key);
    if (state) await this.#close(state);
  }

  bindingStatus(actorKey: string, binding: string): BindingStatus | undefined {
    const state = this.#bindings.get(bindingKey(actorKey, binding));
    if (!state) return undefined;
    if (state.commands.status !== "ready") return { state: "failed", reason: `redis at ${state.url}: ${state.lastError || state.commands.status}` };
    if (state.consumer?.failure) return { state: "failed", reason: `redis at ${state.url}: reading events: ${state.consumer.failure}` };
    return { state: "ok" };
  }

  // Not async, and XADD chained with then(): WriteEvent is on an actor's hot path, and each
  // extra await costs measurably against a bare XADD (bench/storage.ts).
  handleCall(call: ProviderCall): Promise<Uint8Array> {
    try {
      const op = call.operation;
      if (op !== OP_WRITE_EVENT && op !== OP_QUERY_STREAM) throw unknownOperation(this.capabilityId, op);
      const state = bindingFor(this.#bindings, this.capabilityId, call);
      const run = (): Promise<Uint8Array> => (op === OP_WRITE_EVENT ? this.#write(state, call.payload) : this.#query(state, call.payload));
      const tracing = this.#context?.tracing;
      return tracing ? tracing.traced(SPAN.redis(op), "client", { [ATTR.dbSystem]: "redis", [ATTR.dbOperation]: op }, run) : run();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  #write(state: StreamBinding, payload: Uint8Array): Promise<Uint8Array> {
    const event = decodeEvent(payload, "WriteEvent");
    if (event.stream === "") throw new WactorError("WACTOR_ERR_BAD_PAYLOAD", "WriteEvent: field 'stream' must not be empty");
    const fields = Object.entries(event.values).flat();
    if (fields.length === 0)
      throw new WactorError("WACTOR_ERR_BAD_PAYLOAD", "WriteEvent: field 'values' must hold at least one value (a stream entry is never empty)");
    return state.commands.xadd(event.stream, "*", ...fields).then(
      (eventId) => encodeWriteResponse({ eventId: eventId ?? "" }),
      (err: unknown) => {
        throw refused(state, err);
      },
    );
  }

  async #query(state: StreamBinding, payload: Uint8Array): Promise<Uint8Array> {
    const query = decodeStreamQuery(payload);
    if (query.streamId === "") throw new WactorError("WACTOR_ERR_BAD_PAYLOAD", "QueryStream: field 'streamId' must not be empty");
    const min = query.range ? String(query.range.minTime) : "-";
    const max = query.range ? String(query.range.maxTime) : "+";
    let entries: Array<[string, string[]]>;
    try {
      entries = await (query.count > 0
        ? state.commands.xrange(query.streamId, min, max, "COUNT", query.count)
        : state.commands.xrange(query.streamId, min, max));
    } catch (err) {
      throw refused(state, err);
    }
    const events: StreamEvent[] = entries.map(([eventId, fields]) => {
      const values: Record<string, string> = {};
      for (let i = 0; i + 1 < fields.length; i += 2) values[fields[i]!] = fields[i + 1]!;
      return { eventId, stream: query.streamId, values };
    });
    return encodeStreamResults(events);
  }

  #deliver(context: ProviderContext, actorKey: string, binding: string, event: StreamEvent): Promise<Uint8Array> {
    const send = (): Promise<Uint8Array> => context.deliver(actorKey, binding, OP_DELIVER_EVENT, encodeEvent(event));
    const tracing = context.tracing;
    if (!tracing) return send();
    const attributes = {
      [ATTR.messagingSystem]: "redis",
      [ATTR.messagingOperation]: "deliver",
      [ATTR.messagingDestination]: event.stream,
      [ATTR.actorKey]: actorKey,
    };
    return tracing.traced(SPAN.eventsDeliver, "consumer", attributes, send);
  }

  async #close(state: StreamBinding): Promise<void> {
    const consumer = state.consumer;
    state.consumer = undefined;
    await consumer?.stop();
    state.commands.disconnect();
  }
}
