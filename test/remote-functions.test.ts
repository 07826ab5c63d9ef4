/**
 * A step reaching a function on another host (src/bundle/run/remote-functions.ts): while no
 * host runs the function (nothing ran) the call is tried again until the step's deadline;
 * any other failure fails the step at once, and so does the deadline — or the runner
 * stopping, so a retired bundle's routes never wait for functions retired with it.
 */
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { BundleRunner } from "../src/bundle/run/bundle-runner.js";
import { Host } from "../src/host/host.js";
import { eventually } from "./helpers/eventually.js";
import { callRetrying, remoteFunctions } from "../src/bundle/run/remote-functions.js";
import { WactorError } from "../src/errors.js";
import { loadedBundle, xDirective } from "./helpers/bundles.js";
import { codeOf } from "./helpers/code-of.js";

const noActor = (): WactorError => new WactorError("WACTOR_ERR_LATTICE_NO_ACTOR", "no host runs it");

describe("remote functions", () => {
  it("tries again while no host runs the function, then answers", async () => {
    let calls = 0;
    let retries = 0;
    const call = async (): Promise<Uint8Array> => {
      if (++calls < 3) throw noActor();
      return new Uint8Array([7]);
    };
    expect(await callRetrying(call, "MKEY", "Job", new Uint8Array(), new AbortController().signal, () => retries++)).toEqual(new Uint8Array([7]));
    expect([calls, retries]).toEqual([3, 2]);
  });

  it("fails at once on anything else (it may have run), and when the step's deadline ends the wait", async () => {
    let calls = 0;
    const lost = async (): Promise<Uint8Array> => {
      calls++;
      throw new WactorError("WACTOR_ERR_LATTICE_CONNECTION_LOST", "host left");
    };
    expect(await codeOf(callRetrying(lost, "MKEY", "Job", new Uint8Array(), new AbortController().signal))).toBe("WACTOR_ERR_LATTICE_CONNECTION_LOST");
    expect(calls).toBe(1);
    const deadline = new AbortController();
    const never = callRetrying(async () => Promise.reject(noActor()), "MKEY", "Job", new Uint8Array(), deadline.signal);
    deadline.abort();
    expect(await codeOf(never)).toBe("WACTOR_ERR_LATTICE_NO_ACTOR");
  });

  it("names each function by the module key its verified claims give", async () => {
    const bundle = await loadedBundle({
      directive: xDirective("", ["helloworld-rs", "fields"]),
      modules: { "helloworld-rs": "helloworld-rs", fields: "fields" },
    });
    const functions = remoteFunctions(bundle);
    expect(functions.map((f) => f.fqfn)).toEqual(["com.suborbital.test#default::helloworld-rs@v0.0.1", "com.suborbital.test#default::fields@v0.0.1"]);
    for (const f of functions) expect(f.key).toBe(bundle.claims.get(f.fqfn)!.subject);
  });

  it("a runner that stops ends the steps waiting for a function no host runs: the request answers 500 and the stop returns", async () => {
    const host = new Host({ logger: pino({ level: "silent" }) });
    const bundle = await loadedBundle({
      directive: xDirective("handlers:\n  - { type: request, method: GET, resource: /x, steps: [ { fn: fields } ] }\n", ["fields"]),
      modules: { fields: "fields" },
    });
    const runner = new BundleRunner(host, bundle, { http: { port: 0 }, remote: async () => Promise.reject(noActor()) });
    const { address } = await runner.start();
    const answer = fetch(`http://127.0.0.1:${address!.port}/x`);
    await eventually(() => expect(runner.retries).toBeGreaterThan(1));
    await runner.stop(); // the step timeout is 30 s: only the stop can end the wait in time
    expect((await answer).status).toBe(500);
    await host.shutdown();
  });
});
