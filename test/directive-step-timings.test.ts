/**
 * Step times for the dashboard (src/directive/step-timings.ts): one run in SAMPLE_EVERY of each
 * route, schedule and stream handler is timed per step, whether its calls answer at once or
 * later; hosts' lists merge into one.
 */
import { describe, expect, it } from "vitest";
import { DirectiveApp } from "../src/directive/app.js";
import { loadDirective } from "../src/directive/load.js";
import { mergeStepTimings, SAMPLE_EVERY, StepTimings } from "../src/directive/step-timings.js";
import { fakeRunnables, xHeader } from "./helpers/fake-runnables.js";

const handlerYaml = (method: string, resource: string, steps: string): string =>
  `  - type: request\n    resource: ${resource}\n    method: ${method}\n    steps:\n${steps}`;

const THREE = "      - fn: helloworld-rs\n      - group: [ { fn: modify-url, as: m }, { fn: set-array, as: s } ]\n      - fn: helloworld-rs\n";

function app(atOnce: boolean): { app: DirectiveApp; timings: StepTimings } {
  const d = loadDirective(`${xHeader()}handlers:\n${handlerYaml("POST", "/three", THREE)}${handlerYaml("POST", "/one", "      - fn: helloworld-rs\n")}`);
  const timings = new StepTimings();
  return { app: new DirectiveApp(d, fakeRunnables(undefined, { atOnce }), { stepTimings: timings }), timings };
}

const post = (a: DirectiveApp, url: string) => a.handle({ method: "POST", url, headers: {}, body: new TextEncoder().encode("world") });

describe("step timings", () => {
  it.each([
    ["answered at once", true],
    ["answered later", false],
  ])("times each step of one run in SAMPLE_EVERY per route (%s), counted apart from other routes' runs", async (_what, atOnce) => {
    const { app: a, timings } = app(atOnce);
    // Runs of /three alternate with runs of /one: each route still gets its first and its ninth run timed.
    for (let i = 0; i <= SAMPLE_EVERY; i++) {
      expect((await post(a, "/three")).status).toBe(200);
      expect((await post(a, "/one")).status).toBe(200);
    }
    const three = timings.snapshot().filter((t) => t.target === "POST /three");
    expect(three.map((t) => [t.step, t.what, t.count])).toEqual([
      [0, "fn helloworld-rs", 2],
      [1, "group modify-url,set-array", 2],
      [2, "fn helloworld-rs", 2],
    ]);
    for (const t of three) expect(t.meanMs >= 0 && t.maxMs >= t.meanMs).toBe(true);
    expect(
      timings
        .snapshot()
        .filter((t) => t.target === "POST /one")
        .map((t) => t.count),
    ).toEqual([2]);
  });

  it("merges hosts' lists: counts summed, means weighted by count, the largest max", () => {
    const one = { target: "GET /a", step: 0, what: "fn f" };
    expect(
      mergeStepTimings([
        [{ ...one, count: 1, meanMs: 4, maxMs: 4 }],
        [
          { ...one, count: 3, meanMs: 2, maxMs: 9 },
          { ...one, step: 1, what: "fn g", count: 2, meanMs: 1, maxMs: 1 },
        ],
      ]),
    ).toEqual([
      { ...one, count: 4, meanMs: 2.5, maxMs: 9 },
      { ...one, step: 1, what: "fn g", count: 2, meanMs: 1, maxMs: 1 },
    ]);
  });
});
