/**
 * Delivery of new stream events to one bound actor, through a Redis consumer group.
 *
 * The group belongs to the (actor, binding): every host serving that binding reads with its own
 * consumer name, so Redis hands each event to one of them. An event is acknowledged (XACK)
 * only after the actor's DeliverEvent succeeded; until then it stays in the group's pending
 * list and is delivered again: by this consumer (its pending entries are re-read at start and
 * `retryMs` after a failed delivery) or, once idle for `claimIdleMs`, by any consumer of the
 * group (XAUTOCLAIM), which is how the events of a host that died reach the others. Nothing
 * acknowledged is read again, and nothing unacknowledged is dropped.
 */
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { StreamEvent } from "../../src/codec/mod.js";
import { reasonOf } from "../shared.js";

export interface ConsumerOptions {
  streams: readonly string[];
  group: string;
  consumer: string;
  /** Commands (XGROUP, XACK, XAUTOCLAIM): the binding's ordinary connection. */
  commands: Redis;
  /** A connection of its own: XREADGROUP ... BLOCK holds it. */
  blocking: Redis;
  batch: number;
  blockMs: number;
  claimIdleMs: number;
  retryMs: number;
  deliver(event: StreamEvent): Promise<unknown>;
  logger: Logger;
}

type Entry = [id: string, fields: string[] | null];
type ReadReply = Array<[stream: string, entries: Entry[]]> | null;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

function valuesOf(fields: readonly string[]): Record<string, string> {
  const values: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) values[fields[i]!] = fields[i + 1]!;
  return values;
}

export class StreamConsumer {
  readonly #o: ConsumerOptions;
  #stopped = false;
  #loop: Promise<void> = Promise.resolve();
  /** Why the last read failed, while it keeps failing (the binding status). */
  failure: string | undefined;

  private constructor(options: ConsumerOptions) {
    this.#o = options;
  }

  /** Makes the groups (new events only, from now on), then reads until stopped. */
  static async start(options: ConsumerOptions): Promise<StreamConsumer> {
    for (const stream of options.streams) {
      try {
        await options.commands.xgroup("CREATE", stream, options.group, "$", "MKSTREAM");
      } catch (err) {
        if (!reasonOf(err).startsWith("BUSYGROUP")) throw err; // the group exists: keep its position
      }
    }
    const consumer = new StreamConsumer(options);
    consumer.#loop = consumer.#run();
    return consumer;
  }

  /** Stops reading; a delivery in flight is finished and acknowledged first. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#o.blocking.disconnect(); // ends a blocked XREADGROUP at once
    await this.#loop;
  }

  async #run(): Promise<void> {
    const o = this.#o;
    let pendingDue = 0; // own pending entries: at start, then after each failed delivery
    let claimDue = 0;
    while (!this.#stopped) {
      try {
        const now = Date.now();
        if (now >= pendingDue) pendingDue = (await this.#redeliverPending()) ? now + o.retryMs : Number.POSITIVE_INFINITY;
        if (now >= claimDue) {
          if (await this.#claimIdle()) pendingDue = Math.min(pendingDue, now + o.retryMs);
          claimDue = now + Math.max(o.claimIdleMs / 2, 100);
        }
        const wait = Math.max(1, Math.min(o.blockMs, pendingDue - Date.now(), claimDue - Date.now()));
        const ids = o.streams.map(() => ">");
        const reply = (await o.blocking.xreadgroup(
          "GROUP",
          o.group,
          o.consumer,
          "COUNT",
          o.batch,
          "BLOCK",
          Math.ceil(wait),
          "STREAMS",
          ...o.streams,
          ...ids,
        )) as ReadReply;
        if (await this.#deliverAll(reply)) pendingDue = Math.min(pendingDue, Date.now() + o.retryMs);
        if (this.failure !== undefined) o.logger.info({ group: o.group }, "event stream reads resumed");
        this.failure = undefined;
      } catch (err) {
        if (this.#stopped) break;
        // Logged when reads start failing, not on every retry while Redis stays away.
        if (this.failure === undefined) o.logger.warn({ group: o.group, err: reasonOf(err) }, "event stream read failed; retrying");
        this.failure = reasonOf(err);
        await sleep(o.retryMs);
      }
    }
  }

  /** Delivers this consumer's pending entries once each; true when one failed again. */
  async #redeliverPending(): Promise<boolean> {
    const o = this.#o;
    const after = o.streams.map(() => "0");
    let failed = false;
    for (;;) {
      const reply = (await o.blocking.xreadgroup("GROUP", o.group, o.consumer, "COUNT", o.batch, "STREAMS", ...o.streams, ...after)) as ReadReply;
      let read = 0;
      for (const [stream, entries] of reply ?? []) {
        read += entries.length;
        const last = entries.at(-1);
        if (last) after[o.streams.indexOf(stream)] = last[0];
      }
      if (read === 0 || this.#stopped) return failed;
      failed = (await this.#deliverAll(reply)) || failed;
    }
  }

  /** Takes over entries another consumer left unacknowledged for claimIdleMs, and delivers them. */
  async #claimIdle(): Promise<boolean> {
    const o = this.#o;
    let failed = false;
    for (const stream of o.streams) {
      let start = "0-0";
      do {
        const [next, entries] = (await o.commands.xautoclaim(stream, o.group, o.consumer, o.claimIdleMs, start, "COUNT", o.batch)) as [string, Entry[]];
        if (entries.length > 0) failed = (await this.#deliverAll([[stream, entries]])) || failed;
        start = next;
      } while (start !== "0-0" && !this.#stopped);
    }
    return failed;
  }

  /** Delivers in stream order, acknowledging each success; true when a delivery failed. */
  async #deliverAll(reply: ReadReply): Promise<boolean> {
    const o = this.#o;
    let failed = false;
    for (const [stream, entries] of reply ?? []) {
      for (const [id, fields] of entries) {
        if (this.#stopped) return failed; // the rest stay pending, for the next reader
        // An entry deleted from the stream (XDEL) while pending has no fields: nothing to deliver.
        if (fields !== null) {
          try {
            await o.deliver({ eventId: id, stream, values: valuesOf(fields) });
          } catch (err) {
            failed = true;
            o.logger.warn({ group: o.group, stream, eventId: id, err: reasonOf(err) }, "DeliverEvent failed; the event stays pending and is delivered again");
            continue;
          }
        }
        await o.commands.xack(stream, o.group, id).catch((err: unknown) => {
          o.logger.warn({ group: o.group, stream, eventId: id, err: reasonOf(err) }, "XACK failed; the event may be delivered again");
        });
      }
    }
    return failed;
  }
}
