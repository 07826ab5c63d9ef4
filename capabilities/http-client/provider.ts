/**
 * `wascc:http_client`: outbound HTTP for actors, on undici with one connection pool (Agent)
 * per binding. Each binding says which hosts its actor may reach; everything else is refused
 * before a byte is sent. See docs/http-client.md for the operation and the rules.
 *
 * Binding values:
 * - `ALLOWED_HOSTS` (default: none): `host`, `host:port`, `*.domain`, `*`, comma-separated.
 *   Loopback, private and link-local addresses need an exact entry (checked at connect time).
 * - `TIMEOUT_MS` (default 10000): the whole exchange, redirects and body included.
 * - `MAX_RESPONSE_BYTES` (default 1048576): larger bodies are cut off and fail the call.
 * - `MAX_REDIRECTS` (default 5): each hop checked like the first; 0 returns the 3xx itself.
 * - `AUTH_HEADER_<host>` (optional, secret): the Authorization value sent to that host only.
 */
import { Agent } from "undici";
import { CAP_HTTP_CLIENT, OP_HTTP_CLIENT_REQUEST, decodeHttpClientRequest, encodeHttpClientResponse } from "../../src/codec/mod.js";
import type { HttpClientRequest, HttpClientResponse } from "../../src/codec/http-client.js";
import type { ActorIdentity, BindingStatus, CapabilityProvider, HttpClientFields, ProviderCall, ProviderContext } from "../../src/provider/contract.js";
import { bindingFor, bindingKey, requireContext, unknownOperation } from "../shared.js";
import { guardedConnector, systemResolve, type Resolve } from "./connector.js";
import { exchange } from "./exchange.js";
import { parseConfig, type HttpClientConfig } from "./policy.js";

export interface HttpClientProviderOptions {
  name?: string;
  /** How host names resolve (default: the system resolver, as `dns.lookup`). */
  resolve?: Resolve;
}

interface ClientBinding {
  config: HttpClientConfig;
  agent: Agent;
}

export class HttpClientProvider implements CapabilityProvider, HttpClientFields {
  readonly capabilityId = CAP_HTTP_CLIENT;
  readonly name: string;
  readonly #resolve: Resolve;
  #context: ProviderContext | undefined;
  readonly #bindings = new Map<string, ClientBinding>();

  constructor(options: HttpClientProviderOptions = {}) {
    this.name = options.name ?? "http-client";
    this.#resolve = options.resolve ?? systemResolve;
  }

  async start(context: ProviderContext): Promise<void> {
    this.#context = context;
  }

  async stop(): Promise<void> {
    const bindings = [...this.#bindings.values()];
    this.#bindings.clear();
    await Promise.all(bindings.map((b) => b.agent.destroy()));
  }

  async bind(actor: ActorIdentity, binding: string, values: Readonly<Record<string, string>>): Promise<void> {
    const context = requireContext(this.#context, this.capabilityId);
    const config = parseConfig(values);
    const agent = new Agent({ connect: guardedConnector(config, this.#resolve), headersTimeout: config.timeoutMs, bodyTimeout: config.timeoutMs });
    const key = bindingKey(actor.key, binding);
    const previous = this.#bindings.get(key);
    this.#bindings.set(key, { config, agent });
    // Requests in flight on the old rules finish on them; new ones take the new rules.
    void previous?.agent.close().catch(() => {});
    // The binding's values are not logged: AUTH_HEADER_* values are secrets.
    context.logger.info({ actor: actor.key, binding, allowedHosts: config.allowedHosts, authHosts: [...config.auth.keys()] }, "http client bound");
  }

  async unbind(actorKey: string, binding: string): Promise<void> {
    const key = bindingKey(actorKey, binding);
    const state = this.#bindings.get(key);
    this.#bindings.delete(key);
    await state?.agent.close();
  }

  bindingStatus(actorKey: string, binding: string): BindingStatus | undefined {
    return this.#bindings.has(bindingKey(actorKey, binding)) ? { state: "ok" } : undefined;
  }

  async handleCall(call: ProviderCall): Promise<Uint8Array> {
    if (call.operation !== OP_HTTP_CLIENT_REQUEST) throw unknownOperation(this.capabilityId, call.operation);
    const { config, agent } = bindingFor(this.#bindings, this.capabilityId, call);
    const request = decodeHttpClientRequest(call.payload);
    return encodeHttpClientResponse(await exchange(agent, config, request, this.#context?.tracing));
  }

  /** The same Request as its fields, answered as its fields (the host's path for runnables): the same rules. */
  handleHttpClient(call: Omit<ProviderCall, "payload">, request: HttpClientRequest): Promise<HttpClientResponse> {
    if (call.operation !== OP_HTTP_CLIENT_REQUEST) return Promise.reject(unknownOperation(this.capabilityId, call.operation));
    try {
      const { config, agent } = bindingFor(this.#bindings, this.capabilityId, call);
      return exchange(agent, config, request, this.#context?.tracing);
    } catch (err) {
      return Promise.reject(err);
    }
  }
}
