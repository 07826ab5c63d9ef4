/**
 * Host-side handle of one actor instance: a worker thread running one guest, one
 * invocation at a time. Invocations and host-call replies go through the inbound ring,
 * results and host calls come back through the outbound ring (see channel.ts). Enforces the
 * deadline (terminate + respawn) and serves the guest's host calls through an async handler.
 */
import { MessageChannel, type MessagePort, type Worker } from "node:worker_threads";
import { WactorError, toWactorError } from "../../errors.js";
import {
  decodeNamed,
  encodeNamed,
  guestErrorText,
  IN_FROM_PORT,
  IN_HOST_REPLY_ERROR,
  IN_HOST_REPLY_OK,
  IN_INVOKE,
  MAX_INLINE_BYTES,
  OUT_DENIED,
  OUT_GUEST_ERROR,
  OUT_HOST_CALL,
  OUT_MEMORY_LIMIT,
  OUT_OK,
  RING_BYTES,
} from "../channel.js";
import type { GateIdentity } from "../claims-gate.js";
import type { InvocationTrace } from "../invocation-trace.js";
import { createRing, RingReader, RingWriter, type RingRecord } from "../ring.js";
import { demoteThread, restoreThread } from "./thread-priority.js";
import { sharedSpares } from "./worker-spares.js";
import type { FromWorker, HostCallRequest, ToWorker, WorkerInit } from "../worker-protocol.js";
import { ownBuffer } from "../owned-bytes.js";

const PAGE = 65536;
/** Event-loop turns the host thread polls an instance's results before it sleeps on them. */
const POLL_TURNS = 4;

export type AsyncHostCall = (request: HostCallRequest) => Promise<Uint8Array>;

export interface InstanceOptions {
  module: WebAssembly.Module;
  /** The actor, with its claimed capabilities: unclaimed host calls are denied in the worker. */
  identity: GateIdentity;
  deadlineMs: number;
  maxMemoryBytes: number;
  hostCall: AsyncHostCall;
  onLog?: (line: string) => void;
  /** Host calls the worker denied (capability not claimed), reported in batches. */
  onDenied?: (capabilityId: string, binding: string, operation: string, count: number) => void;
  /** Called after the instance was replaced (trap or deadline), for metrics and events. */
  onReplaced?: (reason: "deadline" | "trap" | "crash") => void;
}

interface Pending {
  id: number;
  /** Operation and payload, encoded once for the inbound ring. */
  message: Uint8Array;
  resolve: (payload: Uint8Array) => void;
  reject: (err: WactorError) => void;
  /** Host calls and log lines of the running invocation happen in its trace context. */
  trace: InvocationTrace | undefined;
}

/** One worker and its two rings; replaced as a whole after a deadline or crash. */
interface Channel {
  worker: Worker;
  inbound: RingWriter;
  outbound: RingReader;
  port: MessagePort;
  ready: boolean;
  /** The worker's kernel thread id, for its CPU priority. */
  threadId: number | undefined;
  demoted: boolean;
}

/**
 * Invocations are pipelined: several may be in the worker's inbound ring, which it runs one
 * at a time in order (actor model). Only the head of the FIFO is running, so only it has a
 * deadline timer; when it is killed, the ones behind it never ran and are re-sent.
 */
export class ActorInstance {
  readonly #options: InstanceOptions;
  #channel: Channel | undefined;
  readonly #outstanding: Pending[] = [];
  #headTimer: NodeJS.Timeout | undefined;
  /** Set by the pool after a deadline, until the next success: its threads run at low priority. */
  #suspect = false;
  #nextId = 1;
  #stopped = false;
  #memoryBytes = 0;

  constructor(options: InstanceOptions) {
    this.#options = options;
  }

  /** Invocations sent and not yet answered (the first one is running). */
  get load(): number {
    return this.#outstanding.length;
  }

  get memoryBytes(): number {
    return this.#memoryBytes;
  }

  start(): Promise<void> {
    return this.#spawn();
  }

  invoke(operation: string, payload: Uint8Array, trace?: InvocationTrace): Promise<Uint8Array> {
    if (this.#stopped) return Promise.reject(new WactorError("WACTOR_ERR_ACTOR_STOPPED"));
    return new Promise<Uint8Array>((resolve, reject) => {
      const pending: Pending = { id: this.#nextId++, message: encodeNamed([operation], payload), resolve, reject, trace };
      this.#outstanding.push(pending);
      // While a (replacement) worker starts, invocations wait here and are sent on "ready".
      if (this.#channel?.ready) {
        this.#send(this.#channel, IN_INVOKE, pending.id, pending.message);
        if (this.#outstanding.length === 1) this.#armHead();
      }
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#headTimer);
    for (const pending of this.#outstanding.splice(0)) pending.reject(new WactorError("WACTOR_ERR_ACTOR_STOPPED"));
    const channel = this.#channel;
    this.#channel = undefined;
    if (channel) await this.#close(channel);
  }

  async #close(channel: Channel): Promise<void> {
    channel.outbound.close();
    channel.inbound.close();
    channel.port.close();
    await channel.worker.terminate();
  }

  /** Writes a record to the worker; large ones go over the port, announced in the ring. */
  #send(channel: Channel, kind: number, id: number, payload: Uint8Array): void {
    if (payload.length <= MAX_INLINE_BYTES && channel.inbound.write(kind, id, 0, payload)) return;
    channel.port.postMessage({ kind, id, extra: 0, payload: ownBuffer(payload) } satisfies RingRecord);
    // The pool bounds what is in flight per instance, so the ring always has room for this.
    if (!channel.inbound.write(IN_FROM_PORT, 0, 0, new Uint8Array(0))) throw new WactorError("WACTOR_ERR_BUSY", "instance channel full");
  }

  /** Low CPU priority for this instance's threads while its actor is suspect (or not). */
  setSuspect(suspect: boolean): void {
    this.#suspect = suspect;
    if (this.#channel) this.#setDemoted(this.#channel, suspect);
  }

  #setDemoted(channel: Channel, demoted: boolean): void {
    if (channel.demoted === demoted) return;
    // Raising a priority again may be refused (not root): then it stays low until replaced.
    if (demoted ? demoteThread(channel.threadId) : restoreThread(channel.threadId)) channel.demoted = demoted;
  }

  #armHead(): void {
    clearTimeout(this.#headTimer);
    const head = this.#outstanding[0];
    if (!head) return;
    this.#headTimer = setTimeout(() => this.#onDeadline(head.id), this.#options.deadlineMs);
  }

  #spawn(): Promise<void> {
    const { port1, port2 } = new MessageChannel();
    const init: WorkerInit = {
      module: this.#options.module,
      maxMemoryBytes: this.#options.maxMemoryBytes,
      identity: this.#options.identity,
      inbound: createRing(RING_BYTES),
      outbound: createRing(RING_BYTES),
      port: port2,
    };
    const worker = sharedSpares.take();
    const channel: Channel = {
      worker,
      inbound: new RingWriter(init.inbound),
      outbound: new RingReader(init.outbound),
      port: port1,
      ready: false,
      threadId: undefined,
      demoted: false,
    };
    this.#channel = channel;
    port1.on("message", (record: RingRecord) => this.#onRecord(channel, record));
    port1.unref();
    const load: ToWorker = { type: "load", init };
    worker.postMessage(load, [port2]);
    return new Promise<void>((resolve, reject) => {
      worker.on("message", (message: FromWorker) => {
        switch (message.type) {
          case "ready":
            this.#memoryBytes = message.memoryBytes;
            channel.threadId = message.threadId;
            if (this.#channel === channel) {
              channel.ready = true;
              if (this.#suspect) this.#setDemoted(channel, true);
              void this.#drainOutbound(channel);
              for (const pending of this.#outstanding) this.#send(channel, IN_INVOKE, pending.id, pending.message);
              this.#armHead();
            }
            resolve();
            break;
          case "start-failed":
            reject(new WactorError("WACTOR_ERR_MODULE_COMPILE", message.error));
            break;
          case "log": {
            const onLog = this.#options.onLog;
            const trace = this.#outstanding[0]?.trace;
            if (onLog && trace) trace.within(() => onLog(message.line));
            else onLog?.(message.line);
            break;
          }
        }
      });
      worker.on("error", (err) => {
        if (!channel.ready) reject(new WactorError("WACTOR_ERR_MODULE_COMPILE", err.message));
      });
      worker.on("exit", () => {
        port1.close();
        // Results the worker wrote before it exited are still in the ring: collect them.
        channel.outbound.drain((record) => this.#onRecord(channel, record));
        if (this.#channel !== channel) return; // replaced or stopped on purpose
        this.#channel = undefined;
        if (!channel.ready) return;
        // The thread died under us (e.g. JS heap limit): fail the running call, respawn.
        this.#outstanding.shift()?.reject(new WactorError("WACTOR_ERR_TRAP", "the instance's worker exited"));
        this.#replace("crash");
      });
    });
  }

  async #drainOutbound(channel: Channel): Promise<void> {
    let idleChecks = 0;
    while (!channel.outbound.closed) {
      // While work is in flight and records keep coming, look again on the next loop turn
      // (cheap under load); after a few empty looks, sleep until the worker wakes us.
      if (this.#outstanding.length > 0 && idleChecks < POLL_TURNS) await new Promise<void>((resolve) => setImmediate(resolve));
      else await channel.outbound.waitAsync();
      if (channel.outbound.closed) return;
      let got = 0;
      channel.outbound.drain((record) => {
        got++;
        this.#onRecord(channel, record);
      });
      idleChecks = got > 0 ? 0 : idleChecks + 1;
    }
  }

  #onRecord(channel: Channel, record: RingRecord): void {
    if (record.kind === OUT_HOST_CALL) {
      void this.#serveHostCall(channel, record.payload);
      return;
    }
    if (record.kind === OUT_DENIED) {
      const { names } = decodeNamed(record.payload, 3);
      this.#options.onDenied?.(names[0]!, names[1]!, names[2]!, record.extra);
      return;
    }
    this.#memoryBytes = record.extra * PAGE;
    // Results arrive in order except when a large one travelled over the port: find it by id.
    const index = this.#outstanding[0]?.id === record.id ? 0 : this.#outstanding.findIndex((p) => p.id === record.id);
    if (index < 0) return;
    const [pending] = this.#outstanding.splice(index, 1);
    if (index === 0) this.#armHead();
    if (record.kind === OUT_OK) {
      pending!.resolve(record.payload);
      return;
    }
    const text = new TextDecoder().decode(record.payload);
    if (record.kind === OUT_GUEST_ERROR) {
      pending!.reject(new WactorError("WACTOR_ERR_GUEST_ERROR", text));
      return;
    }
    // The worker has already re-instantiated its guest and goes on with the queue.
    this.#options.onReplaced?.("trap");
    pending!.reject(new WactorError(record.kind === OUT_MEMORY_LIMIT ? "WACTOR_ERR_MEMORY_LIMIT" : "WACTOR_ERR_TRAP", text));
  }

  async #serveHostCall(channel: Channel, payload: Uint8Array): Promise<void> {
    const { names, body } = decodeNamed(payload, 3);
    let kind = IN_HOST_REPLY_OK;
    let reply: Uint8Array;
    try {
      const request = { binding: names[0]!, namespace: names[1]!, operation: names[2]!, payload: body };
      // The worker runs one invocation at a time: a host call belongs to the head of the FIFO.
      const trace = this.#outstanding[0]?.trace;
      reply = await (trace ? trace.within(() => this.#options.hostCall(request)) : this.#options.hostCall(request));
    } catch (err) {
      kind = IN_HOST_REPLY_ERROR;
      reply = new TextEncoder().encode(guestErrorText(err));
    }
    if (this.#channel === channel) this.#send(channel, kind, 0, reply);
  }

  #onDeadline(id: number): void {
    if (this.#outstanding[0]?.id !== id) return;
    this.#outstanding.shift()!.reject(new WactorError("WACTOR_ERR_DEADLINE", `${this.#options.deadlineMs} ms`));
    this.#replace("deadline");
  }

  /** Drops the current worker and starts a fresh one; queued invocations are re-sent to it. */
  #replace(reason: "deadline" | "crash"): void {
    clearTimeout(this.#headTimer);
    const old = this.#channel;
    this.#channel = undefined;
    if (old) {
      // Collect what the old worker finished before it is gone, then let it go.
      old.outbound.drain((record) => this.#onRecord(old, record));
      void this.#close(old);
    }
    if (this.#stopped) return;
    this.#options.onReplaced?.(reason);
    this.#spawn().catch((err: unknown) => {
      this.#stopped = true;
      // A replacement that could not start is reported as what it is; anything unexpected is a bug.
      const error = toWactorError(err);
      for (const pending of this.#outstanding.splice(0)) pending.reject(error);
    });
  }
}
