/**
 * What a provider is given to bring work in (`ProviderContext`): deliveries to the actors
 * bound to it, checked on every delivery (docs/wascc-protocol.md §5). `deliverHttp` is the
 * http_server's `HandleRequest` as its fields: an actor on this host gets it through the
 * host's invocation path (spans, metrics, deadline, metering) with no MessagePack for a
 * runnable; an actor on another host gets the waSCC payload through the lattice.
 */
import type { Logger } from "pino";
import { mayBind } from "../claims/may-bind.js";
import { decodeHttpResponse, encodeHttpRequest, type HttpRequest, type HttpResponse } from "../codec/http.js";
import { OP_HANDLE_REQUEST } from "../codec/operations.js";
import { WactorError } from "../errors.js";
import { normalizeBinding, type ActorIdentity, type ProviderContext } from "../provider/contract.js";
import type { Tracing } from "../tracing/tracing.js";
import type { BindingTable } from "./bindings.js";

export interface DeliveryTargets {
  logger: Logger;
  tracing: Tracing | undefined;
  bindings: BindingTable;
  /** The identity (claims) of an actor running on this host. */
  identity(actorKey: string): ActorIdentity | undefined;
  /** The lattice, when joined: actors that run elsewhere. */
  remote():
    | {
        invokeActor(
          origin: { kind: "provider"; capabilityId: string; binding: string },
          key: string,
          operation: string,
          payload: Uint8Array,
        ): Promise<Uint8Array>;
      }
    | undefined;
  invoke(actorKey: string, operation: string, payload: Uint8Array): Promise<Uint8Array>;
  invokeHttp(actorKey: string, request: HttpRequest): HttpResponse | Promise<HttpResponse>;
}

export function providerContext(capabilityId: string, targets: DeliveryTargets): ProviderContext {
  /** Why `actorKey` may not get this delivery, or undefined; `local`: its identity when it runs here. */
  const refusal = (actorKey: string, binding: string, local: ActorIdentity | undefined): WactorError | undefined => {
    // A provider delivers only to actors bound to it, and (claims may change in a live update) that claim it.
    if (!targets.bindings.has(actorKey, capabilityId, binding))
      return new WactorError("WACTOR_ERR_NOT_BOUND", `${capabilityId} '${normalizeBinding(binding)}' -> ${actorKey}`);
    if (local && !mayBind(local, capabilityId))
      return new WactorError("WACTOR_ERR_PERMISSION_DENIED", `actor ${local.key} no longer claims ${capabilityId}; it gets no deliveries from it`);
    return undefined;
  };
  const deliver = (actorKey: string, binding: string, operation: string, payload: Uint8Array): Promise<Uint8Array> => {
    const local = targets.identity(actorKey);
    const refused = refusal(actorKey, binding, local);
    if (refused) return Promise.reject(refused);
    const remote = targets.remote();
    if (!local && remote) return remote.invokeActor({ kind: "provider", capabilityId, binding: normalizeBinding(binding) }, actorKey, operation, payload);
    return targets.invoke(actorKey, operation, payload);
  };
  return {
    logger: targets.logger,
    tracing: targets.tracing,
    deliver,
    deliverHttp: (actorKey, binding, request) => {
      const local = targets.identity(actorKey);
      if (!local) return deliver(actorKey, binding, OP_HANDLE_REQUEST, encodeHttpRequest(request)).then(decodeHttpResponse);
      const refused = refusal(actorKey, binding, local);
      return refused ? Promise.reject(refused) : targets.invokeHttp(actorKey, request);
    },
  };
}
