/**
 * The router Atmo mounts a Directive's request handlers on (Vektor over httprouter v1.3):
 * a tree per method, then httprouter's fallbacks in its order: trailing-slash redirect,
 * fixed-path redirect, automatic OPTIONS, 405 with `Allow`, 404.
 */
import { posix } from "node:path";
import { RouteConflict, RouteTree, normalizePattern, type Route, type RouteMatch } from "./route-tree.js";
import type { Directive, DirectiveProblem, Handler } from "./types.js";

export type RouteOutcome<T> =
  | { kind: "match"; match: RouteMatch<T> }
  | { kind: "redirect"; status: 301 | 307; location: string }
  | { kind: "options"; allow: string }
  | { kind: "methodNotAllowed"; allow: string }
  | { kind: "notFound" };

/** The params of a route without any: one frozen object (a function's write copies it first). */
const NO_PARAMS: Record<string, string> = Object.freeze({}) as Record<string, string>;

export class Router<T> {
  private readonly trees = new Map<string, RouteTree<T>>();
  /**
   * Per method, a route without params by its path: the one path that matches it (an exact
   * static match always wins in httprouter), so a request for it skips the tree walk and its
   * allocations. Bounded by the routes themselves.
   */
  private readonly statics = new Map<string, Map<string, RouteOutcome<T>>>();

  /** Adds a route (leading `/` added); throws RouteConflict naming both routes. */
  add(method: string, resource: string, value: T): Route<T> {
    const route = { method, pattern: normalizePattern(resource), value };
    let tree = this.trees.get(method);
    if (!tree) {
      tree = new RouteTree<T>();
      this.trees.set(method, tree);
    }
    tree.add(route);
    return route;
  }

  /** Methods (other than `except` and OPTIONS) with a route for the path, plus OPTIONS, sorted; "" when none. */
  allowed(path: string, except: string): string {
    const methods = [...this.trees].filter(([method, tree]) => method !== except && method !== "OPTIONS" && tree.lookup(path)).map(([method]) => method);
    return methods.length === 0 ? "" : [...methods, "OPTIONS"].sort().join(", ");
  }

  /** Routes a request; `path` is percent-decoded, `query` the raw query without `?`. */
  route(method: string, path: string, query = ""): RouteOutcome<T> {
    const known = this.statics.get(method)?.get(path);
    if (known) return known;
    const tree = this.trees.get(method);
    const found = tree?.lookup(path);
    if (found) return this.#matched(method, path, found);
    const redirect = (to: string): RouteOutcome<T> => ({
      kind: "redirect",
      status: method === "GET" ? 301 : 307,
      location: `${encodeURI(to)}${query ? `?${query}` : ""}`,
    });
    if (tree && method !== "CONNECT" && path !== "/") {
      const toggled = path.endsWith("/") ? path.slice(0, -1) : `${path}/`;
      if (tree.lookup(toggled)) return redirect(toggled);
      const cleaned = cleanPath(path);
      const fixed = tree.lookupFolded(cleaned) ?? tree.lookupFolded(cleaned.endsWith("/") ? cleaned.slice(0, -1) || "/" : `${cleaned}/`);
      if (fixed !== undefined) return redirect(fixed);
    }
    if (method === "OPTIONS") {
      const allow = this.allowed(path, method);
      if (allow) return { kind: "options", allow };
    }
    const allow = this.allowed(path, method);
    if (allow) return { kind: "methodNotAllowed", allow };
    return { kind: "notFound" };
  }

  #matched(method: string, path: string, found: RouteMatch<T>): RouteOutcome<T> {
    const pattern = found.route.pattern;
    if (pattern !== path || pattern.includes(":") || pattern.includes("*")) return { kind: "match", match: found };
    const outcome: RouteOutcome<T> = { kind: "match", match: { route: found.route, params: NO_PARAMS } };
    let byPath = this.statics.get(method);
    if (!byPath) this.statics.set(method, (byPath = new Map()));
    byPath.set(path, outcome);
    return outcome;
  }
}

/** Go's path cleaning as httprouter does it: no `//`, `.` or `..`; a trailing slash is kept. */
export function cleanPath(path: string): string {
  const cleaned = posix.normalize(`/${path}`);
  return path.endsWith("/") && !cleaned.endsWith("/") ? `${cleaned}/` : cleaned;
}

/** The request handlers Atmo mounts: `type: request` with a method and a resource. */
export function mountedHandlers(d: Directive): Array<{ index: number; method: string; resource: string; line: number }> {
  return d.handlers.flatMap((h, index) =>
    h.type === "request" && h.method !== "" && h.resource !== "" ? [{ index, method: h.method, resource: h.resource, line: h.line }] : [],
  );
}

/** Builds the router of a Directive's request handlers, each route's value made from its handler. */
export function buildRouter<T>(d: Directive, valueOf: (handler: Handler) => T): Router<T> {
  const router = new Router<T>();
  for (const h of mountedHandlers(d)) router.add(h.method, h.resource, valueOf(d.handlers[h.index]!));
  return router;
}

/** Route conflicts as validation problems, each at the handler that could not be added. */
export function routeProblems(d: Directive): DirectiveProblem[] {
  const router = new Router<number>();
  const problems: DirectiveProblem[] = [];
  for (const h of mountedHandlers(d)) {
    try {
      router.add(h.method, h.resource, h.index);
    } catch (err) {
      if (!(err instanceof RouteConflict)) throw err;
      const first = mountedHandlers(d).find(
        (o) => o.index !== h.index && o.method === h.method && err.message.includes(`'${h.method} ${normalizePattern(o.resource)}'`),
      );
      problems.push({ line: h.line, message: `${err.message}${first ? ` (line ${first.line})` : ""}` });
    }
  }
  return problems;
}
