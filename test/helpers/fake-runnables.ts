/**
 * In-process stand-ins for Atmo's example runnables (the functions of conformance base X),
 * behind the engine's StepInvoker interface. Used to test the sequence engine's logic; the
 * real Wasm runnables are exercised once the runnable runtime is mounted.
 */
import type { JobReply, JobRequest, StepInvoker } from "../../src/directive/job.js";

export const X_IDENTIFIER = "com.suborbital.test";
export const X_VERSION = "v0.0.1";
export const X_FUNCTIONS = ["helloworld-rs", "modify-url", "fetch-test", "return-err", "set-array", "run-each", "get-file", "cache-set", "cache-get", "log-it"];

export const xHeader = (extra = ""): string =>
  `identifier: ${X_IDENTIFIER}\nappVersion: ${X_VERSION}\natmoVersion: v0.4.0\nrunnables:\n${X_FUNCTIONS.map((f) => `  - { name: ${f}, namespace: default }\n`).join("")}${extra}`;

const text = (bytes: Uint8Array | undefined): string => new TextDecoder().decode(bytes ?? new Uint8Array());
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const ok = (output: string, headers: Record<string, string> = {}): JobReply => ({ output: bytes(output), headers });

export type FakeFn = (request: JobRequest, signal: AbortSignal) => JobReply | Promise<JobReply>;

export interface FakeRunnables extends StepInvoker {
  /** Every call, in call order. */
  calls: Array<{ fqfn: string; request: JobRequest }>;
  /** Override or add a function by name. */
  set(name: string, fn: FakeFn): void;
}

/**
 * `atOnce`: a function that answers synchronously is answered as a direct call on a host is,
 * with the reply itself (not a promise); run-each then answers at once too.
 */
export function fakeRunnables(statics: Record<string, string> = { "main.md": "## hello" }, options: { atOnce?: boolean } = {}): FakeRunnables {
  const cache = new Map<string, Uint8Array>();
  const staticFile = (name: string): string | undefined =>
    statics[
      name
        .replace(/^static\//, "")
        .replace(/^\//, "")
        .replace(/^\.\//, "")
    ];
  const fns = new Map<string, FakeFn>([
    ["helloworld-rs", (r) => ok(`hello ${text(r.body)}`)],
    ["modify-url", (r) => ok(`${r.body.length > 0 ? text(r.body) : text(r.state.url)}/suborbital`)],
    ["return-err", () => ({ error: { code: 400, message: "job failed" } })],
    ["set-array", (r) => ({ output: r.body, headers: { "Content-Type": "application/json" } })],
    [
      "run-each",
      async (r) => {
        const elem = JSON.parse(text(r.state.__elem)) as { name: string };
        // Later elements finish first, so completion order differs from input order.
        await new Promise((resolve) => setTimeout(resolve, elem.name === "Connor" ? 30 : elem.name === "Jimmy" ? 15 : 1));
        return ok(JSON.stringify({ name: `Hello ${elem.name}` }));
      },
    ],
    ["get-file", (r) => ok(staticFile(r.params.file ?? text(r.state.file)) ?? "failed")],
    [
      "cache-set",
      (r) => {
        cache.set(r.params.key!, r.body);
        return ok("");
      },
    ],
    ["cache-get", (r) => ({ output: cache.get(r.params.key!) ?? new Uint8Array(), headers: {} })],
    ["log-it", (r) => ok(`hello ${text(r.body)}`)],
  ]);
  if (options.atOnce) fns.set("run-each", (r) => ok(JSON.stringify({ name: `Hello ${(JSON.parse(text(r.state.__elem)) as { name: string }).name}` })));
  const calls: FakeRunnables["calls"] = [];
  const call = (fqfn: string, request: JobRequest, signal: AbortSignal): JobReply | Promise<JobReply> => {
    calls.push({ fqfn, request });
    const name = /::(.*)@/.exec(fqfn)?.[1] ?? fqfn;
    const fn = fns.get(name);
    if (!fn) throw new Error(`fake has no function ${fqfn}`);
    return fn(request, signal);
  };
  return {
    calls,
    set: (name, fn) => void fns.set(name, fn),
    invoke(fqfn, request, cancel) {
      try {
        const reply = call(fqfn, request, cancel.signal);
        return options.atOnce ? reply : Promise.resolve(reply);
      } catch (err) {
        return Promise.reject(err);
      }
    },
  };
}
