/**
 * The narrow interface between the host and a capability provider. Providers never see
 * actors directly: calls arrive already authorized, and deliveries go back through the
 * host, which checks that the target actor is bound to the provider.
 */
import type { Logger } from "pino";
import type { HttpRequest, HttpResponse } from "../codec/http.js";
import type { HttpClientRequest, HttpClientResponse } from "../codec/http-client.js";
import type { Tracing } from "../tracing/tracing.js";

/** An actor as a provider sees it: identity and the claims it may need for config. */
export interface ActorIdentity {
  /** Module public key (`M…`). */
  key: string;
  name?: string;
  issuer: string;
  caps: readonly string[];
}

/** One authorized actor -> provider call. */
export interface ProviderCall {
  actor: ActorIdentity;
  /** Binding name; the empty name has already been normalized to `default`. */
  binding: string;
  operation: string;
  payload: Uint8Array;
}

export interface ProviderContext {
  logger: Logger;
  /** Set while the host traces: a provider then spans its requests and I/O (docs/tracing.md). */
  tracing?: Tracing | undefined;
  /**
   * Invokes an operation on an actor bound to this provider under `binding`. Rejects when
   * the actor is not bound (a provider delivers only to its own bindings), stopped, busy,
   * or fails; the rejection is a WactorError.
   */
  deliver(actorKey: string, binding: string, operation: string, payload: Uint8Array): Promise<Uint8Array>;
  /**
   * `deliver` of a `HandleRequest`, the request and the response as their fields, under the
   * same checks. The host hands them to a runnable as they are and encodes them for a waPC
   * actor (or another host) as the contract says. Absent: encode and `deliver`. The response
   * itself when a direct call answered it at once, else a promise; a refusal is a rejection.
   */
  deliverHttp?(actorKey: string, binding: string, request: HttpRequest): HttpResponse | Promise<HttpResponse>;
}

/**
 * A provider of `wascc:http_client` that also takes an authorized Request as its fields and
 * answers with the response's fields (no MessagePack): the host uses it for runnables.
 */
export interface HttpClientFields {
  handleHttpClient(call: Omit<ProviderCall, "payload">, request: HttpClientRequest): Promise<HttpClientResponse>;
}

export function takesHttpClientFields(provider: CapabilityProvider | undefined): provider is CapabilityProvider & HttpClientFields {
  return typeof (provider as Partial<HttpClientFields> | undefined)?.handleHttpClient === "function";
}

/** Binding health, visible to users: a binding is never accepted silently broken. */
export type BindingStatus = { state: "ok" } | { state: "failed"; reason: string };

export interface CapabilityProvider {
  /** Capability id, e.g. `wascc:keyvalue`. */
  readonly capabilityId: string;
  /** Provider-level instance name (a host may run one provider per capability id). */
  readonly name: string;
  start(context: ProviderContext): Promise<void>;
  /** Stops serving and releases every port, connection and timer. */
  stop(): Promise<void>;
  /**
   * Optional, for providers that bring work in (HTTP, messaging): stop accepting new work and
   * resolve once deliveries in flight are answered. Shutdown calls it before draining actors.
   */
  quiesce?(): Promise<void>;
  /**
   * Creates a binding and validates it at once (port free, server reachable, subjects valid).
   * Rejects with a WactorError saying why when it cannot work; then nothing is left bound.
   */
  bind(actor: ActorIdentity, binding: string, values: Readonly<Record<string, string>>): Promise<void>;
  unbind(actorKey: string, binding: string): Promise<void>;
  /** Handles an authorized call; resolves with the MessagePack reply, rejects with a WactorError. */
  handleCall(call: ProviderCall): Promise<Uint8Array>;
  /** Current status of a binding, or undefined when there is none. */
  bindingStatus(actorKey: string, binding: string): BindingStatus | undefined;
}

/** Answers one HTTP request in place of an actor (a listener mounted on `wascc:http_server`). */
/** The response itself when it is ready at once (a bundle whose steps all ran as direct calls), else a promise; may throw. */
export type HttpTarget = (request: HttpRequest) => HttpResponse | Promise<HttpResponse>;

/** A provider that can serve a host part directly (the HTTP server's `mount()`). */
export interface HttpMountable {
  mount(owner: string, binding: string, values: Readonly<Record<string, string>>, target: HttpTarget): Promise<void>;
  unbind(owner: string, binding: string): Promise<void>;
  address(owner: string, binding: string): { host: string; port: number } | undefined;
}

/** A message a mounted host part receives from `wascc:messaging`. */
export interface MountedMessage {
  subject: string;
  /** "" when the sender expects no reply. */
  replyTo: string;
  body: Uint8Array;
}

/** Answers one message in place of an actor; the bytes are published to its reply subject (if any). */
export type MessageTarget = (message: MountedMessage) => Promise<Uint8Array | undefined>;

/** A provider that can deliver subscriptions to a host part (the messaging provider's `mount()`). */
export interface MessageMountable {
  mount(owner: string, binding: string, values: Readonly<Record<string, string>>, target: MessageTarget): Promise<void>;
  unbind(owner: string, binding: string): Promise<void>;
}

export function isMessageMountable(provider: CapabilityProvider | undefined): provider is CapabilityProvider & MessageMountable {
  return typeof (provider as Partial<MessageMountable> | undefined)?.mount === "function";
}

export function isHttpMountable(provider: CapabilityProvider | undefined): provider is CapabilityProvider & HttpMountable {
  return typeof (provider as Partial<HttpMountable> | undefined)?.mount === "function";
}

export const DEFAULT_BINDING = "default";

/** waSCC's AssemblyScript SDK sends "" for the default binding, Rust sends "default". */
export function normalizeBinding(binding: string | undefined): string {
  return binding === undefined || binding === "" ? DEFAULT_BINDING : binding;
}
