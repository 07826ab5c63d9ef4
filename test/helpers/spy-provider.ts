import type { ActorIdentity, BindingStatus, CapabilityProvider, ProviderCall, ProviderContext } from "../../src/provider/contract.js";

/** A provider that records every call it sees and answers "<capability>:<operation>:<payload>". */
export class SpyProvider implements CapabilityProvider {
  readonly name = "spy";
  readonly calls: ProviderCall[] = [];
  readonly bound = new Map<string, Readonly<Record<string, string>>>();
  context: ProviderContext | undefined;

  /** `answer`: how calls are answered, instead of the echo of capability, operation and payload. */
  constructor(
    readonly capabilityId: string,
    readonly answer?: (call: ProviderCall) => Promise<Uint8Array>,
  ) {}

  async start(context: ProviderContext): Promise<void> {
    this.context = context;
  }
  async stop(): Promise<void> {}
  async bind(actor: ActorIdentity, binding: string, values: Readonly<Record<string, string>>): Promise<void> {
    this.bound.set(`${actor.key}/${binding}`, values);
  }
  async unbind(actorKey: string, binding: string): Promise<void> {
    this.bound.delete(`${actorKey}/${binding}`);
  }
  bindingStatus(actorKey: string, binding: string): BindingStatus | undefined {
    return this.bound.has(`${actorKey}/${binding}`) ? { state: "ok" } : undefined;
  }
  async handleCall(call: ProviderCall): Promise<Uint8Array> {
    this.calls.push(call);
    if (this.answer) return this.answer(call);
    return new TextEncoder().encode(`${this.capabilityId}:${call.operation}:${new TextDecoder().decode(call.payload)}`);
  }
}
