/**
 * Worker thread hosting one waPC guest instance. The guest's synchronous `__host_call` is
 * bridged to the async host: post the request, block on Atomics.wait, then read the reply
 * with receiveMessageOnPort. A looping guest is stopped by terminating this thread.
 */
import { parentPort, receiveMessageOnPort } from "node:worker_threads";
import { ResultRingWriter, type Outcome } from "./result-ring.js";
import { GuestTrap, WapcGuest, type HostCallResult } from "./wapc-guest.js";
import type { FromWorker, HostCallReply, HostCallRequest, Invocation, ToWorker, WorkerInit } from "./worker-protocol.js";

// Workers boot as idle spares; the first message gives them their guest.
let init: WorkerInit;
let signal: Int32Array;
let guest: WapcGuest;
let results: ResultRingWriter;
const port = parentPort!;
const SPIN_MS = 0.05;
const post = (message: FromWorker): void => port.postMessage(message);

function hostCall(binding: string, namespace: string, operation: string, payload: Uint8Array): HostCallResult {
  Atomics.store(signal, 0, 0);
  const request: HostCallRequest = { binding, namespace, operation, payload };
  init.hostPort.postMessage(request);
  // Spin briefly before sleeping: a fast provider answers before a futex round trip would.
  const spinUntil = performance.now() + SPIN_MS;
  while (Atomics.load(signal, 0) === 0 && performance.now() < spinUntil);
  Atomics.wait(signal, 0, 0);
  const reply = receiveMessageOnPort(init.hostPort)?.message as HostCallReply | undefined;
  return reply ?? { ok: false, error: "host call bridge lost its reply" };
}

function instantiate(): WapcGuest {
  return WapcGuest.create(init.module, { hostCall, consoleLog: (line) => post({ type: "log", line }) });
}

function load(workerInit: WorkerInit): void {
  init = workerInit;
  signal = new Int32Array(init.signal);
  results = new ResultRingWriter(init.results);
  try {
    guest = instantiate();
    post({ type: "ready", memoryBytes: guest.memoryBytes });
  } catch (err) {
    post({ type: "start-failed", error: err instanceof Error ? err.message : String(err) });
    process.exit(0);
  }
}

port.on("message", (message: ToWorker) => {
  if (message.type === "load") load(message.init);
  else for (const invocation of message.batch) run(invocation);
});

// Each result is published as soon as it exists: if a later invocation loops and this
// thread is killed, the finished ones are already acknowledged and will not run twice.
function publish(outcome: Outcome): void {
  if (!results.write(outcome)) post({ type: "result", outcome });
}

function run(message: Invocation): void {
  const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
  try {
    const result = guest.invoke(message.operation, message.payload);
    if (result.ok) publish({ id: message.id, kind: "ok", payload: result.payload, memoryBytes: guest.memoryBytes });
    else publish({ id: message.id, kind: "guest-error", payload: utf8(result.error), memoryBytes: guest.memoryBytes });
  } catch (err) {
    const memoryBytes = guest.memoryBytes;
    // A failed memory.grow shows up as a plain trap (the allocator gives up); a trap with
    // memory this close to the ceiling is that, so report it as such.
    const kind = memoryBytes >= init.maxMemoryBytes * 0.9 ? "memory-limit" : "trap";
    publish({ id: message.id, kind, payload: utf8(err instanceof GuestTrap ? err.message : String(err)), memoryBytes });
    // A trapped instance may hold corrupt state: replace it with a fresh one.
    try {
      guest = instantiate();
    } catch (restartErr) {
      post({ type: "start-failed", error: String(restartErr) });
      process.exit(0);
    }
  }
}
