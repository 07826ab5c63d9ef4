/**
 * A per-method route tree with the semantics Atmo gets from julienschmidt/httprouter v1.3:
 * `:name` matches one non-empty segment, `*name` the rest of the path with its leading `/`,
 * static segments match exactly; and patterns that could shadow each other are refused when
 * added (`/user/:id` with `/user/new`, two parameter names at one position, a catch-all next
 * to anything under its prefix), naming both routes.
 *
 * Hand-written because no well-kept npm router has these rules: find-my-way (fastify's router)
 * accepts `/user/:id` next to `/user/new` (static wins at match time) and matches an empty
 * `:param`, so Directives that Atmo refuses would load and requests Atmo answers with 404
 * would reach a handler. The tree is per segment, so a wildcard must fill its whole segment
 * (httprouter also allows `/v:version`; wactor refuses such a pattern with a clear message).
 */

export interface Route<T> {
  method: string;
  pattern: string;
  value: T;
}

interface Node<T> {
  statics: Map<string, { node: Node<T>; origin: string }>;
  param?: { name: string; node: Node<T>; origin: string };
  catchAll?: { name: string; route: Route<T> };
  /** The route ending here (no trailing slash). */
  route?: Route<T>;
  /** The route ending here with a trailing slash. */
  slashRoute?: Route<T>;
}

export interface RouteMatch<T> {
  route: Route<T>;
  params: Record<string, string>;
}

const newNode = <T>(): Node<T> => ({ statics: new Map() });

/** A route pattern with its leading `/` (Atmo adds it when missing). */
export function normalizePattern(resource: string): string {
  return resource.startsWith("/") ? resource : `/${resource}`;
}

export class RouteConflict extends Error {}

export class RouteTree<T> {
  private readonly root: Node<T> = newNode();

  /** Adds a route; throws RouteConflict saying which existing route it collides with. */
  add(route: Route<T>): void {
    const pattern = route.pattern;
    const name = `${route.method} ${pattern}`;
    const fail = (message: string): never => {
      throw new RouteConflict(`route '${name}' ${message}`);
    };
    const segments = pattern.slice(1).split("/");
    let node = this.root;
    for (let i = 0; i < segments.length; i++) {
      const seg = segments[i]!;
      const last = i === segments.length - 1;
      if (last && seg === "") {
        if (node.catchAll) fail(`conflicts with '${route.method} ${node.catchAll.route.pattern}' (a catch-all takes every path under its prefix)`);
        if (node.slashRoute) fail(`conflicts with '${name}' (the same route twice)`);
        node.slashRoute = route;
        return;
      }
      if (seg.startsWith(":") || seg.startsWith("*")) {
        const wildcard = seg.slice(1);
        if (wildcard === "" || /[:*]/.test(wildcard)) fail(`has an unnamed or malformed wildcard '${seg}' (write ':name' or '*name')`);
        if (seg.startsWith("*")) {
          if (!last) fail("has a catch-all that is not the last segment");
          const other = node.catchAll?.route.pattern ?? node.param?.origin ?? node.statics.values().next().value?.origin ?? node.slashRoute?.pattern;
          if (other !== undefined) fail(`conflicts with '${route.method} ${other}'${other === pattern ? " (the same route twice)" : ""}`);
          node.catchAll = { name: wildcard, route };
          return;
        }
        const other = node.catchAll?.route.pattern ?? node.statics.values().next().value?.origin;
        if (other !== undefined) fail(`conflicts with '${route.method} ${other}' (a parameter and another segment at the same position)`);
        if (node.param && node.param.name !== wildcard)
          fail(`conflicts with '${route.method} ${node.param.origin}' (two parameter names at the same position)`);
        node.param ??= { name: wildcard, node: newNode(), origin: pattern };
        node = node.param.node;
        continue;
      }
      if (/[:*]/.test(seg)) fail(`has a wildcard inside the segment '${seg}'; wactor needs ':name' or '*name' to fill a whole segment`);
      const wild = node.param?.origin ?? node.catchAll?.route.pattern;
      if (wild !== undefined) fail(`conflicts with '${route.method} ${wild}' (a parameter and another segment at the same position)`);
      let child = node.statics.get(seg);
      if (!child) {
        child = { node: newNode(), origin: pattern };
        node.statics.set(seg, child);
      }
      node = child.node;
    }
    if (node.route) fail(`conflicts with '${name}' (the same route twice)`);
    node.route = route;
  }

  /** The route for a (decoded) path, with its parameters. */
  lookup(path: string): RouteMatch<T> | undefined {
    return this.walk(this.root, path.slice(1).split("/"), 0, {}, false)?.match;
  }

  /**
   * Case-insensitive lookup returning the path with the routes' own spelling of each static
   * segment (httprouter's "fixed path"), or undefined.
   */
  lookupFolded(path: string): string | undefined {
    const found = this.walk(this.root, path.slice(1).split("/"), 0, {}, true);
    return found ? `/${found.spelled.join("/")}` : undefined;
  }

  private walk(
    node: Node<T>,
    segs: string[],
    i: number,
    params: Record<string, string>,
    fold: boolean,
  ): { match: RouteMatch<T>; spelled: string[] } | undefined {
    if (i === segs.length) return node.route ? { match: { route: node.route, params }, spelled: [] } : undefined;
    const seg = segs[i]!;
    const last = i === segs.length - 1;
    if (last && seg === "" && node.slashRoute) return { match: { route: node.slashRoute, params }, spelled: [""] };
    const statics = fold ? [...node.statics].filter(([key]) => key.toLowerCase() === seg.toLowerCase()) : [[seg, node.statics.get(seg)] as const];
    for (const [key, child] of statics) {
      if (!child) continue;
      const found = this.walk(child.node, segs, i + 1, params, fold);
      if (found) return { match: found.match, spelled: [key, ...found.spelled] };
    }
    if (node.param && seg !== "") {
      const found = this.walk(node.param.node, segs, i + 1, { ...params, [node.param.name]: seg }, fold);
      if (found) return { match: found.match, spelled: [seg, ...found.spelled] };
    }
    if (node.catchAll) {
      const rest = segs.slice(i);
      return { match: { route: node.catchAll.route, params: { ...params, [node.catchAll.name]: `/${rest.join("/")}` } }, spelled: rest };
    }
    return undefined;
  }
}
