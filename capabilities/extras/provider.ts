/**
 * `wascc:extras`: what a wasm module cannot do alone. No binding values.
 * - RequestGuid: a random (v4) UUID.
 * - RequestRandom: an integer uniformly drawn from min..max, both inclusive (u32 range).
 * - RequestSequence: 0, 1, 2, … per (actor, binding), starting at 0 as waSCC did; the
 *   counter lives as long as the binding.
 * Every reply has all three fields; the ones not asked for are nil/0.
 */
import { randomInt, randomUUID } from "node:crypto";
import { CAP_EXTRAS, OP_REQUEST_GUID, OP_REQUEST_RANDOM, OP_REQUEST_SEQUENCE, decodeExtrasRequest, encodeExtrasReply } from "../../src/codec/mod.js";
import { WactorError } from "../../src/errors.js";
import type { ActorIdentity, BindingStatus, CapabilityProvider, ProviderCall, ProviderContext } from "../../src/provider/contract.js";
import { bindingFor, bindingKey, unknownOperation } from "../shared.js";

const U32_MAX = 0xffff_ffff;

export interface ExtrasProviderOptions {
  name?: string;
}

interface ExtrasBinding {
  nextSequence: number;
}

export class ExtrasProvider implements CapabilityProvider {
  readonly capabilityId = CAP_EXTRAS;
  readonly name: string;
  readonly #bindings = new Map<string, ExtrasBinding>();

  constructor(options: ExtrasProviderOptions = {}) {
    this.name = options.name ?? "extras";
  }

  async start(_context: ProviderContext): Promise<void> {
    // Extras never delivers to actors.
  }

  async stop(): Promise<void> {
    this.#bindings.clear();
  }

  async bind(actor: ActorIdentity, binding: string, _values: Readonly<Record<string, string>>): Promise<void> {
    const key = bindingKey(actor.key, binding);
    // Rebinding keeps the sequence going: numbers handed out are never handed out again.
    if (!this.#bindings.has(key)) this.#bindings.set(key, { nextSequence: 0 });
  }

  async unbind(actorKey: string, binding: string): Promise<void> {
    this.#bindings.delete(bindingKey(actorKey, binding));
  }

  bindingStatus(actorKey: string, binding: string): BindingStatus | undefined {
    return this.#bindings.has(bindingKey(actorKey, binding)) ? { state: "ok" } : undefined;
  }

  async handleCall(call: ProviderCall): Promise<Uint8Array> {
    const op = call.operation;
    if (op !== OP_REQUEST_GUID && op !== OP_REQUEST_RANDOM && op !== OP_REQUEST_SEQUENCE) throw unknownOperation(this.capabilityId, op);
    const state = bindingFor(this.#bindings, this.capabilityId, call);
    if (op === OP_REQUEST_GUID) return encodeExtrasReply({ guid: randomUUID(), sequenceNumber: 0, randomNumber: 0 });
    if (op === OP_REQUEST_SEQUENCE) return encodeExtrasReply({ guid: null, sequenceNumber: state.nextSequence++, randomNumber: 0 });
    const { min, max } = decodeExtrasRequest(call.payload);
    if (min < 0 || max > U32_MAX)
      throw new WactorError("WACTOR_ERR_BAD_PAYLOAD", `RequestRandom: min and max must be within 0..${U32_MAX}, got ${min}..${max}`);
    if (min > max) throw new WactorError("WACTOR_ERR_BAD_PAYLOAD", `RequestRandom: min (${min}) must not exceed max (${max})`);
    // randomInt's upper bound is exclusive.
    return encodeExtrasReply({ guid: null, sequenceNumber: 0, randomNumber: randomInt(min, max + 1) });
  }
}
