/**
 * Worker thread hosting one waPC guest instance. After its guest is loaded it never returns
 * to its event loop: it blocks on the inbound ring, runs invocations one at a time, and
 * answers the guest's synchronous `__host_call` by writing the call to the outbound ring and
 * blocking until the host thread's reply arrives. A looping guest is stopped by terminating
 * this thread.
 */
import { parentPort, receiveMessageOnPort } from "node:worker_threads";
import {
  encodeNamed,
  IN_FROM_PORT,
  IN_HOST_REPLY_OK,
  IN_INVOKE,
  MAX_INLINE_BYTES,
  OUT_DENIED,
  OUT_GUEST_ERROR,
  OUT_HOST_CALL,
  OUT_MEMORY_LIMIT,
  OUT_OK,
  OUT_TRAP,
  splitFirstName,
} from "../channel.js";
import { ClaimsGate } from "../claims-gate.js";
import { RingReader, RingWriter, type RingRecord } from "../ring.js";
import { currentThreadId } from "./thread-priority.js";
import { GuestTrap, WapcGuest, type HostCallResult } from "../wapc-guest.js";
import type { FromWorker, ToWorker, WorkerInit } from "../worker-protocol.js";
import { ownBuffer } from "../owned-bytes.js";

const PAGE = 65536;
// A fast provider answers a host call sooner than a futex round trip would take.
const HOST_REPLY_SPIN_MS = 0.05;
// Under load the next invocation is usually moments away; a short spin saves a sleep.
const INVOKE_SPIN_MS = 0.02;

const parent = parentPort!;
const post = (message: FromWorker): void => parent.postMessage(message);
const utf8 = new TextEncoder();

let init: WorkerInit;
let inbound: RingReader;
let outbound: RingWriter;
let guest: WapcGuest;
let gate: ClaimsGate;
const NO_BODY = new Uint8Array(0);
/** Invocations read while waiting for a host-call reply; they run next, in order. */
const queued: RingRecord[] = [];

function send(kind: number, id: number, extra: number, payload: Uint8Array): void {
  if (payload.length <= MAX_INLINE_BYTES && outbound.write(kind, id, extra, payload)) return;
  // Too large (or no room): the record goes over the port; results are matched by id.
  init.port.postMessage({ kind, id, extra, payload: ownBuffer(payload) } satisfies RingRecord);
}

/** The next inbound record, blocking until there is one. */
function nextInbound(spinMs: number): RingRecord {
  for (;;) {
    const record = inbound.read();
    if (record) return record.kind === IN_FROM_PORT ? (receiveMessageOnPort(init.port)?.message as RingRecord) : record;
    if (inbound.closed) process.exit(0);
    inbound.waitSync(spinMs);
  }
}

function hostCall(binding: string, namespace: string, operation: string, payload: Uint8Array): HostCallResult {
  const denied = gate.check(binding, namespace, operation);
  if (denied !== undefined) return { ok: false, error: denied };
  send(OUT_HOST_CALL, 0, 0, encodeNamed([binding, namespace, operation], payload));
  for (;;) {
    const record = nextInbound(HOST_REPLY_SPIN_MS);
    if (record.kind === IN_INVOKE) {
      queued.push(record);
      continue;
    }
    return record.kind === IN_HOST_REPLY_OK ? { ok: true, payload: record.payload } : { ok: false, error: new TextDecoder().decode(record.payload) };
  }
}

function instantiate(): WapcGuest {
  return WapcGuest.create(init.module, { hostCall, consoleLog: (line) => post({ type: "log", line }) });
}

function pages(): number {
  return Math.ceil(guest.memoryBytes / PAGE);
}

function run(record: RingRecord): void {
  const { name, body } = splitFirstName(record.payload);
  try {
    const result = guest.invoke(name, body);
    gate.flush();
    if (result.ok) send(OUT_OK, record.id, pages(), result.payload);
    else send(OUT_GUEST_ERROR, record.id, pages(), utf8.encode(result.error));
  } catch (err) {
    gate.flush();
    const memoryBytes = guest.memoryBytes;
    // A failed memory.grow shows up as a plain trap (the allocator gives up); a trap with
    // memory this close to the ceiling is that, so report it as such.
    const kind = memoryBytes >= init.maxMemoryBytes * 0.9 ? OUT_MEMORY_LIMIT : OUT_TRAP;
    send(kind, record.id, pages(), utf8.encode(err instanceof GuestTrap ? err.message : String(err)));
    // A trapped instance may hold corrupt state: replace it with a fresh one.
    try {
      guest = instantiate();
    } catch (restartErr) {
      post({ type: "start-failed", error: String(restartErr) });
      process.exit(0);
    }
  }
}

function serve(workerInit: WorkerInit): void {
  init = workerInit;
  inbound = new RingReader(init.inbound);
  outbound = new RingWriter(init.outbound);
  gate = new ClaimsGate(init.identity, (capabilityId, binding, operation, count) =>
    send(OUT_DENIED, 0, count, encodeNamed([capabilityId, binding, operation], NO_BODY)),
  );
  try {
    guest = instantiate();
  } catch (err) {
    post({ type: "start-failed", error: err instanceof Error ? err.message : String(err) });
    process.exit(0);
  }
  post({ type: "ready", memoryBytes: guest.memoryBytes, threadId: currentThreadId() });
  for (;;) {
    const record = queued.shift() ?? nextInbound(INVOKE_SPIN_MS);
    if (record.kind === IN_INVOKE) run(record);
  }
}

// Workers boot as idle spares; the first message gives them their guest, then they serve.
parent.once("message", (message: ToWorker) => serve(message.init));
