import { expect } from "vitest";
import { decodeHttpResponse, type HttpResponse } from "../../src/codec/http.js";

/** An actor's HandleRequest reply that must be a 200 (an error reply or a 500 fails here, with its body). */
export function httpOk(reply: Uint8Array | undefined): HttpResponse & { text: string } {
  expect(reply, "a reply").toBeInstanceOf(Uint8Array);
  const response = decodeHttpResponse(reply!);
  const text = new TextDecoder().decode(response.body);
  expect(response.statusCode, text).toBe(200);
  return { ...response, text };
}
