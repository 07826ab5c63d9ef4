/** Routing with httprouter v1.3's semantics (conformance R1–R7) and its conflict rules. */
import { describe, expect, it } from "vitest";
import { DirectiveApp } from "../src/directive/app.js";
import { loadDirective } from "../src/directive/load.js";
import { DirectiveError } from "../src/directive/problems.js";
import { RouteTree } from "../src/directive/route-tree.js";
import { Router } from "../src/directive/routes.js";
import { fakeRunnables, xHeader } from "./helpers/fake-runnables.js";

const handler = (method: string, resource: string): string =>
  `  - type: request\n    resource: ${resource}\n    method: ${method}\n    steps: [ { fn: cache-get } ]\n`;

function appWith(...routes: Array<[string, string]>): { app: DirectiveApp; params: () => Record<string, string> | undefined } {
  const fakes = fakeRunnables();
  const d = loadDirective(`${xHeader()}handlers:\n${routes.map(([m, r]) => handler(m, r)).join("")}`);
  return { app: new DirectiveApp(d, fakes), params: () => fakes.calls.at(-1)?.request.params };
}

async function get(app: DirectiveApp, method: string, url: string) {
  const r = await app.handle({ method, url, headers: {}, body: new Uint8Array() });
  return { status: r.status, headers: r.headers, body: new TextDecoder().decode(r.body) };
}

function routeProblems(...routes: Array<[string, string]>): string[] {
  try {
    loadDirective(`${xHeader()}handlers:\n${routes.map(([m, r]) => handler(m, r)).join("")}`);
    return [];
  } catch (err) {
    return (err as DirectiveError).problems.map((p) => `${p.line}: ${p.message}`);
  }
}

describe("routes (R1–R7)", () => {
  const base = (): ReturnType<typeof appWith> => appWith(["GET", "/get/:key"], ["GET", "/file/*file"]);

  it("R1: a :param matches one non-empty segment; a catch-all keeps its leading slash", async () => {
    const { app, params } = base();
    expect((await get(app, "GET", "/get/abc")).status).toBe(200);
    expect(params()).toEqual({ key: "abc" });
    expect((await get(app, "GET", "/get/")).status).toBe(404);
    await get(app, "GET", "/file/a/b.css");
    expect(params()).toEqual({ file: "/a/b.css" });
    await get(app, "GET", "/file/");
    expect(params()).toEqual({ file: "/" });
    await get(app, "GET", "/get/a%20b?x=1");
    expect(params()).toEqual({ key: "a b" });
  });

  it("R2: a missing trailing slash redirects, 301 for GET, 307 for others; the query is kept", async () => {
    const { app } = appWith(["GET", "/file/*file"], ["POST", "/post/"]);
    expect(await get(app, "GET", "/file?x=1")).toMatchObject({ status: 301, headers: { Location: "/file/?x=1" } });
    expect(await get(app, "POST", "/post")).toMatchObject({ status: 307, headers: { Location: "/post/" } });
  });

  it("fixed-path redirect: cleaned and case-insensitive", async () => {
    const { app } = base();
    expect(await get(app, "GET", "/GET/abc")).toMatchObject({ status: 301, headers: { Location: "/get/abc" } });
    expect(await get(app, "GET", "/x/../get//abc")).toMatchObject({ status: 301, headers: { Location: "/get/abc" } });
  });

  it("R3: another method gets 405 with Allow (HEAD is not GET)", async () => {
    const { app } = base();
    for (const method of ["POST", "HEAD"]) {
      expect(await get(app, method, "/get/abc")).toMatchObject({ status: 405, body: "Method Not Allowed\n", headers: { Allow: "GET, OPTIONS" } });
    }
  });

  it("R4: OPTIONS answers 200 with the sorted Allow list and an empty body", async () => {
    const { app } = appWith(["PUT", "/get/:key"], ["GET", "/get/:key"], ["DELETE", "/get/:key"]);
    expect(await get(app, "OPTIONS", "/get/abc")).toEqual({ status: 200, headers: { Allow: "DELETE, GET, OPTIONS, PUT" }, body: "" });
  });

  it("R5: nothing matches: 404 page not found as text/plain", async () => {
    expect(await get(base().app, "GET", "/nothing")).toMatchObject({
      status: 404,
      body: "404 page not found\n",
      headers: { "Content-Type": "text/plain; charset=utf-8" },
    });
  });

  it("R6: conflicting or duplicate routes fail the load, naming both routes and lines", () => {
    const p = routeProblems(["GET", "/user/:id"], ["GET", "/user/new"], ["GET", "/x"], ["GET", "/x"]);
    expect(p).toHaveLength(2);
    expect(p[0]).toMatch(/route 'GET \/user\/new' conflicts with 'GET \/user\/:id'.*\(line \d+\)/);
    expect(p[1]).toMatch(/route 'GET \/x' conflicts with 'GET \/x' \(the same route twice\)/);
    expect(routeProblems(["GET", "/user/:id"], ["GET", "/user/:name/x"])).toEqual([expect.stringContaining("two parameter names")]);
    expect(routeProblems(["GET", "/src/"], ["GET", "/src/*path"])).toEqual([expect.stringContaining("conflicts with 'GET /src/'")]);
    expect(routeProblems(["GET", "/a/*rest/b"])).toEqual([expect.stringContaining("catch-all that is not the last segment")]);
    expect(routeProblems(["GET", '"/a/:"'])).toEqual([expect.stringContaining("unnamed")]);
    // The same pattern under another method, and a parameter next to a trailing-slash route, are fine.
    expect(routeProblems(["GET", "/user/:id"], ["POST", "/user/new"], ["GET", "/user/"], ["GET", "/src"], ["GET", "/src/*p"])).toEqual([]);
  });

  it("R7: a resource without a leading slash is mounted with one", async () => {
    const { app } = appWith(["GET", "hello"]);
    expect((await get(app, "GET", "/hello")).status).toBe(200);
  });
});

describe("route tree", () => {
  it("static routes are exact and case-sensitive; the root route is '/'", () => {
    const tree = new RouteTree<number>();
    tree.add({ method: "GET", pattern: "/", value: 1 });
    tree.add({ method: "GET", pattern: "/About", value: 2 });
    expect(tree.lookup("/")?.route.value).toBe(1);
    expect(tree.lookup("/About")?.route.value).toBe(2);
    expect(tree.lookup("/about")).toBeUndefined();
    expect(tree.lookupFolded("/about")).toBe("/About");
  });

  it("a method without routes gets no redirects, only 405 or 404", () => {
    const router = new Router<number>();
    router.add("GET", "/file/*f", 1);
    expect(router.route("POST", "/file")).toEqual({ kind: "notFound" });
    expect(router.route("POST", "/file/x")).toEqual({ kind: "methodNotAllowed", allow: "GET, OPTIONS" });
  });

  it("answers a route without params from its cache the second time: the same outcome, params empty and frozen; param routes and their neighbours as before", () => {
    const router = new Router<number>();
    router.add("GET", "/a/b", 1);
    router.add("GET", "/c/:x", 2);
    const first = router.route("GET", "/a/b");
    const second = router.route("GET", "/a/b");
    expect(second).toBe(first);
    expect(second).toMatchObject({ kind: "match", match: { route: { value: 1 }, params: {} } });
    expect(Object.isFrozen((second as { match: { params: object } }).match.params)).toBe(true);
    expect(router.route("GET", "/c/d")).toMatchObject({ kind: "match", match: { route: { value: 2 }, params: { x: "d" } } });
    expect(router.route("GET", "/a/b/")).toMatchObject({ kind: "redirect", location: "/a/b" });
    expect(router.route("POST", "/a/b")).toEqual({ kind: "methodNotAllowed", allow: "GET, OPTIONS" });
  });
});
