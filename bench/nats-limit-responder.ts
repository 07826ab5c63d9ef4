/**
 * The no-isolation limit of an actor behind NATS: a plain nats.js responder that calls the
 * actor's module in-thread (no-isolation.ts) for every request, with no lattice in between
 * (no envelope, no MAC, no claims or routing). Run as its own process by lattice.ts:
 *   node --import tsx bench/nats-limit-responder.ts <nats url> <subject> <signed wasm> <operation>
 */
import { readFileSync } from "node:fs";
import { connect } from "nats";
import { InThreadActor } from "./no-isolation.js";

const [url, subject, wasm, operation] = process.argv.slice(2) as [string, string, string, string];
const actor = new InThreadActor(new Uint8Array(readFileSync(wasm)), 2);
const op = new TextEncoder().encode(operation);
const nc = await connect({ servers: url, noAsyncTraces: true });
nc.subscribe(subject, {
  callback: (_err, msg) => {
    new Promise<Uint8Array>((resolve) => resolve(actor.invoke(op, msg.data))).then(
      (reply) => msg.respond(reply),
      () => msg.respond(new Uint8Array(0)),
    );
  },
});
await nc.flush();
console.log("limit responder ready");
