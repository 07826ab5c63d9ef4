/**
 * `wascc:logging`: `WriteLog` lines go to the host's pino logger, in a child logger that
 * names the actor (key and claims name) and the binding. No binding values.
 */
import type { Level, Logger } from "pino";
import { CAP_LOGGING, EMPTY_REPLY, OP_WRITE_LOG, decodeWriteLog } from "../../src/codec/mod.js";
import { WactorError } from "../../src/errors.js";
import type { ActorIdentity, BindingStatus, CapabilityProvider, ProviderCall, ProviderContext } from "../../src/provider/contract.js";
import { bindingFor, bindingKey, requireContext, unknownOperation } from "../shared.js";

/** waSCC levels: 0 off, 1 error, 2 warn, 3 info, 4 debug, 5 trace. */
const LEVELS: readonly (Level | undefined)[] = [undefined, "error", "warn", "info", "debug", "trace"];

export interface LoggingProviderOptions {
  name?: string;
}

export class LoggingProvider implements CapabilityProvider {
  readonly capabilityId = CAP_LOGGING;
  readonly name: string;
  #context: ProviderContext | undefined;
  /** One child logger per binding, made once: pino children are cheap but not free. */
  readonly #loggers = new Map<string, Logger>();

  constructor(options: LoggingProviderOptions = {}) {
    this.name = options.name ?? "logging";
  }

  async start(context: ProviderContext): Promise<void> {
    this.#context = context;
  }

  async stop(): Promise<void> {
    this.#loggers.clear();
  }

  async bind(actor: ActorIdentity, binding: string, _values: Readonly<Record<string, string>>): Promise<void> {
    const context = requireContext(this.#context, this.capabilityId);
    const fields = actor.name === undefined ? { actor: actor.key, binding } : { actor: actor.key, actorName: actor.name, binding };
    this.#loggers.set(bindingKey(actor.key, binding), context.logger.child(fields));
  }

  async unbind(actorKey: string, binding: string): Promise<void> {
    this.#loggers.delete(bindingKey(actorKey, binding));
  }

  bindingStatus(actorKey: string, binding: string): BindingStatus | undefined {
    return this.#loggers.has(bindingKey(actorKey, binding)) ? { state: "ok" } : undefined;
  }

  async handleCall(call: ProviderCall): Promise<Uint8Array> {
    if (call.operation !== OP_WRITE_LOG) throw unknownOperation(this.capabilityId, call.operation);
    const logger = bindingFor(this.#loggers, this.capabilityId, call);
    const { level, body } = decodeWriteLog(call.payload);
    if (level < 0 || level >= LEVELS.length) throw new WactorError("WACTOR_ERR_BAD_PAYLOAD", `WriteLog: level must be 0 (off) to 5 (trace), got ${level}`);
    const method = LEVELS[level];
    if (method) logger[method](body);
    return EMPTY_REPLY;
  }
}
