/**
 * Invoking an actor wherever it runs, like a host would: the invocation is signed with the given
 * cluster key (docs/wascc-protocol.md §5), so only a lattice that trusts it answers. The caller
 * appears as a one-off actor identity of its own (a fresh module key).
 */
import { isPublicKey, KeyPair } from "../../claims/nkeys.js";
import { WactorError } from "../../errors.js";
import { requestInvocation } from "../rpc/rpc.js";
import { encodeInvocation, InvocationSigner } from "../wire/invocation.js";
import type { ControlBus } from "./control-bus.js";

export interface InvokeOptions {
  clusterKey: KeyPair;
  timeoutMs?: number;
}

export async function invokeActor(bus: ControlBus, actorRef: string, operation: string, payload: Uint8Array, options: InvokeOptions): Promise<Uint8Array> {
  const key = await bus.actorKeyOf(actorRef);
  const lattice = bus.subjects.lattice;
  if (!isPublicKey(key, "module"))
    throw new WactorError("WACTOR_ERR_ACTOR_NOT_FOUND", `'${actorRef}' is neither a module key nor the name of an actor known to lattice '${lattice}'`);
  const signer = new InvocationSigner({ clusterKey: options.clusterKey, hostId: KeyPair.create("server").publicKey });
  const invocation = await signer.sign({ kind: "actor", key: KeyPair.create("module").publicKey }, { kind: "actor", key }, operation, payload);
  return requestInvocation(
    bus.conn.nc,
    bus.subjects.actor(key),
    encodeInvocation(invocation),
    options.timeoutMs ?? 15_000,
    () => new WactorError("WACTOR_ERR_LATTICE_NO_ACTOR", `no host in lattice '${lattice}' runs actor ${actorRef} (operation ${operation})`),
  );
}
