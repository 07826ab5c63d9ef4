/**
 * The host's own spans: one per actor invocation, one per host call (denials included).
 * Used only while tracing is on; the host picks these or its plain paths once.
 */
import { isPublicKey } from "../claims/nkeys.js";
import { WactorError } from "../errors.js";
import type { ActorIdentity } from "../provider/contract.js";
import type { InvocationTrace } from "../runtime/invocation-trace.js";
import type { HostCallRequest } from "../runtime/worker-protocol.js";
import { ATTR, SPAN } from "../tracing/names.js";
import type { Tracing } from "../tracing/tracing.js";

/**
 * Runs an invocation in its span (a child of the active context: the HTTP request, a lattice
 * hop, a calling actor's host call). `run` gets the trace the pool reports to.
 */
export function traceInvocation<T>(tracing: Tracing, actor: ActorIdentity, operation: string, run: (trace: InvocationTrace) => Promise<T>): Promise<T> {
  const attributes = { [ATTR.actorKey]: actor.key, [ATTR.operation]: operation, ...(actor.name !== undefined && { [ATTR.actorName]: actor.name }) };
  const span = tracing.start(SPAN.invoke(operation), "server", attributes);
  const ctx = tracing.enter(span);
  let queuedAt = -1;
  const trace: InvocationTrace = {
    queued: () => {
      queuedAt = performance.now();
    },
    started: () => span.setAttribute(ATTR.instanceWait, queuedAt < 0 ? 0 : performance.now() - queuedAt),
    within: (fn) => tracing.run(ctx, fn),
    denied: (capabilityId, binding, op) => {
      const denial = tracing.start(
        SPAN.hostCall(capabilityId, op),
        "client",
        { ...hostCallAttributes(actor.key, capabilityId, binding, op), [ATTR.denial]: "not-claimed" },
        ctx,
      );
      tracing.end(denial, new WactorError("WACTOR_ERR_PERMISSION_DENIED", `actor ${actor.key} did not claim ${capabilityId}`));
    },
  };
  return tracing.settle(span, () => tracing.run(ctx, () => run(trace)));
}

const hostCallAttributes = (callerKey: string, capabilityId: string, binding: string, operation: string): Record<string, string> => ({
  [ATTR.actorKey]: callerKey,
  [ATTR.capability]: capabilityId,
  [ATTR.binding]: binding,
  [ATTR.operation]: operation,
});

/** A host call in its span; provider I/O started inside it becomes its child. */
export function traceHostCall<T>(
  tracing: Tracing,
  callerKey: string,
  request: Pick<HostCallRequest, "namespace" | "operation">,
  binding: string,
  dispatch: () => Promise<T>,
): Promise<T> {
  const { namespace, operation } = request;
  // The dispatcher's own test: an actor namespace is a module key (cheap checks first).
  if (namespace.length === 56 && namespace.charCodeAt(0) === 77 /* M */ && isPublicKey(namespace, "module")) {
    return tracing.traced(
      SPAN.actorCall(operation),
      "client",
      { [ATTR.actorKey]: callerKey, [ATTR.targetKey]: namespace, [ATTR.operation]: operation },
      dispatch,
    );
  }
  return tracing.traced(SPAN.hostCall(namespace, operation), "client", hostCallAttributes(callerKey, namespace, binding, operation), dispatch);
}
