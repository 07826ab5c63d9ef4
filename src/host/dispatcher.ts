/**
 * Routes a guest's host call: actor -> actor (namespace is a module key) or actor ->
 * capability (authorized on every call, then handed to the provider). Nothing reaches a
 * provider without passing the Authorizer.
 */
import { isPublicKey } from "../claims/nkeys.js";
import { decodeStaticReadRequest, encodeStaticReadReply, OP_STATIC_READ, STATIC_NAMESPACE } from "../codec/static-files.js";
import { decodeHttpClientResponse, encodeHttpClientRequest, type HttpClientRequest, type HttpClientResponse } from "../codec/http-client.js";
import { CAP_HTTP_CLIENT, OP_HTTP_CLIENT_REQUEST } from "../codec/operations.js";
import { WactorError } from "../errors.js";
import type { HostCallRequest } from "../runtime/worker-protocol.js";
import { traceHostCall } from "./host-spans.js";
import type { Tracing } from "../tracing/tracing.js";
import type { Authorizer } from "./authorizer.js";
import { normalizeBinding, takesHttpClientFields, type ActorIdentity, type CapabilityProvider } from "../provider/contract.js";
import type { StaticFiles } from "./static-files.js";

export interface DispatchTargets {
  authorizer: Authorizer;
  provider(capabilityId: string): CapabilityProvider | undefined;
  identity(actorKey: string): ActorIdentity | undefined;
  /** Invokes an actor: on this host when it runs here, else through the lattice if joined. */
  invokeActor(targetKey: string, operation: string, payload: Uint8Array, callerKey: string): Promise<Uint8Array>;
  /** An authorized call for a capability whose provider does not run here (the lattice). */
  remoteProvider(caller: ActorIdentity, capabilityId: string, binding: string, operation: string, payload: Uint8Array): Promise<Uint8Array>;
  /** The actor's own static files, if it has any (answers `wactor:static`). */
  staticFiles(actorKey: string): StaticFiles | undefined;
  /** Set while tracing is on: every host call then gets a span. */
  tracing: Tracing | undefined;
}

export function createHostCallHandler(callerKey: string, targets: DispatchTargets): (request: HostCallRequest) => Promise<Uint8Array> {
  // Not an async function: the provider's own promise is returned as it is (no extra hop).
  const plain = (request: HostCallRequest): Promise<Uint8Array> => {
    try {
      return dispatch(callerKey, targets, request);
    } catch (err) {
      return Promise.reject(err);
    }
  };
  // Tracing is decided once per actor, not per call.
  const tracing = targets.tracing;
  if (!tracing) return plain;
  return (request) => traceHostCall(tracing, callerKey, request, normalizeBinding(request.binding), () => plain(request));
}

/**
 * A `wascc:http_client` Request made as its fields (a runnable's fetch_url on the host
 * thread): authorized exactly as `dispatch` authorizes it, in a host-call span as well, and
 * handed to the provider as its fields when it takes them; otherwise (another provider, one
 * on another host) it travels as the waSCC payload.
 */
export function createHttpClientHandler(
  callerKey: string,
  targets: DispatchTargets,
): (binding: string, request: HttpClientRequest) => Promise<HttpClientResponse> {
  const plain = (binding: string, request: HttpClientRequest): Promise<HttpClientResponse> => {
    try {
      const caller = targets.identity(callerKey);
      if (!caller) throw new WactorError("WACTOR_ERR_ACTOR_STOPPED", callerKey);
      const name = normalizeBinding(binding);
      targets.authorizer.authorize(caller, CAP_HTTP_CLIENT, name, OP_HTTP_CLIENT_REQUEST);
      const provider = targets.provider(CAP_HTTP_CLIENT);
      if (takesHttpClientFields(provider)) return provider.handleHttpClient({ actor: caller, binding: name, operation: OP_HTTP_CLIENT_REQUEST }, request);
      const payload = encodeHttpClientRequest(request);
      const reply = provider
        ? provider.handleCall({ actor: caller, binding: name, operation: OP_HTTP_CLIENT_REQUEST, payload })
        : targets.remoteProvider(caller, CAP_HTTP_CLIENT, name, OP_HTTP_CLIENT_REQUEST, payload);
      return reply.then(decodeHttpClientResponse);
    } catch (err) {
      return Promise.reject(err);
    }
  };
  const tracing = targets.tracing;
  if (!tracing) return plain;
  const names = { namespace: CAP_HTTP_CLIENT, operation: OP_HTTP_CLIENT_REQUEST };
  return (binding, request) => traceHostCall(tracing, callerKey, names, normalizeBinding(binding), () => plain(binding, request));
}

function dispatch(callerKey: string, targets: DispatchTargets, request: HostCallRequest): Promise<Uint8Array> {
  const caller = targets.identity(callerKey);
  if (!caller) throw new WactorError("WACTOR_ERR_ACTOR_STOPPED", callerKey);
  const binding = normalizeBinding(request.binding);
  if (isActorNamespace(request.namespace)) {
    return targets.invokeActor(request.namespace, request.operation, request.payload, callerKey);
  }
  // The caller's own files: no capability, no provider, nothing leaves the host.
  if (request.namespace === STATIC_NAMESPACE) return readStatic(targets.staticFiles(callerKey), request);
  targets.authorizer.authorize(caller, request.namespace, binding, request.operation);
  const provider = targets.provider(request.namespace);
  if (!provider) return targets.remoteProvider(caller, request.namespace, binding, request.operation, request.payload);
  return provider.handleCall({ actor: caller, binding, operation: request.operation, payload: request.payload });
}

async function readStatic(source: StaticFiles | undefined, request: HostCallRequest): Promise<Uint8Array> {
  if (request.operation !== OP_STATIC_READ)
    throw new WactorError("WACTOR_ERR_UNKNOWN_OPERATION", `${STATIC_NAMESPACE} serves ${OP_STATIC_READ}, not '${request.operation}'`);
  const name = decodeStaticReadRequest(request.payload);
  const body = source ? await source.read(name) : undefined;
  return encodeStaticReadReply({ enabled: source !== undefined, found: body !== undefined, body: body ?? new Uint8Array(0) });
}

/** Cheap shape test first: this runs on every host call, and decoding a key is not free. */
function isActorNamespace(namespace: string): boolean {
  return namespace.length === 56 && namespace.charCodeAt(0) === 77 /* M */ && isPublicKey(namespace, "module");
}
