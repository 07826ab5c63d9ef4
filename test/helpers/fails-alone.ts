/** The body of "a hostile invocation fails with its code, and a neighbour's 20 invocations beside it all succeed". */
import { expect } from "vitest";
import type { Host } from "../../src/host/host.js";
import { codeOf } from "./code-of.js";

export function failsAlone(host: Host, neighbour: () => string): (what: string, key: () => string, operation: string, expected: string) => Promise<void> {
  return async (_what, key, operation, expected) => {
    const echoes = Array.from({ length: 20 }, () => host.invoke(neighbour(), "HealthRequest", new Uint8Array()));
    expect(await codeOf(host.invoke(key(), operation, new Uint8Array()))).toBe(expected);
    for (const reply of await Promise.all(echoes)) expect(reply).toHaveLength(0);
  };
}
