/**
 * A minimal `wascc:http_client` provider for runnable tests (the real one lives in
 * capabilities/http-client): `Request` made with Node's fetch, every call recorded.
 */
import { decodeHttpClientRequest, encodeHttpClientResponse, CAP_HTTP_CLIENT, type HttpClientRequest } from "../../src/codec/mod.js";
import type { ActorIdentity, BindingStatus, CapabilityProvider, ProviderCall } from "../../src/provider/contract.js";

export class HttpClientStub implements CapabilityProvider {
  readonly capabilityId = CAP_HTTP_CLIENT;
  readonly name = "http-client-stub";
  readonly requests: HttpClientRequest[] = [];
  readonly #bound = new Set<string>();

  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  async bind(actor: ActorIdentity, binding: string): Promise<void> {
    this.#bound.add(`${actor.key}/${binding}`);
  }
  async unbind(actorKey: string, binding: string): Promise<void> {
    this.#bound.delete(`${actorKey}/${binding}`);
  }
  bindingStatus(actorKey: string, binding: string): BindingStatus | undefined {
    return this.#bound.has(`${actorKey}/${binding}`) ? { state: "ok" } : undefined;
  }
  async handleCall(call: ProviderCall): Promise<Uint8Array> {
    const request = decodeHttpClientRequest(call.payload);
    this.requests.push(request);
    const response = await fetch(request.url, {
      method: request.method,
      headers: request.header,
      ...(request.body.length > 0 && { body: Buffer.from(request.body) }),
    });
    const header: Record<string, string> = {};
    response.headers.forEach((value, key) => (header[key] = value));
    return encodeHttpClientResponse({ statusCode: response.status, status: response.statusText, header, body: new Uint8Array(await response.arrayBuffer()) });
  }
}
