/**
 * Reads Directive YAML into the model of types.ts. Lenient like Atmo's decoder (unknown keys
 * such as `connections` or `authentication` are ignored) but a key of the wrong kind fails
 * the whole document; every such problem is reported at once, located.
 */
import { LineCounter, parseDocument } from "yaml";
import { DirectiveError } from "./problems.js";
import { fqfnOf } from "./references.js";
import type { Callable, Directive, Every, ForEach, Handler, OnErr, Runnable, Schedule, Step } from "./types.js";
import { YamlReader } from "./yaml-reader.js";

type Entries = Map<string, { key: unknown; value: unknown }>;

const unset = (text: string | undefined): string | undefined => (text === undefined || text === "" ? undefined : text);

function readOnErr(r: YamlReader, node: unknown, what: string): OnErr | undefined {
  const m = r.map(node, what);
  if (!m) return undefined;
  const onErr: OnErr = { line: r.lineOf(r.deref(node)) };
  const any = unset(r.str(m.get("any")?.value, `${what}.any`));
  const other = unset(r.str(m.get("other")?.value, `${what}.other`));
  const code = r.intKeyMap(m.get("code")?.value, `${what}.code`);
  if (any !== undefined) onErr.any = any;
  if (other !== undefined) onErr.other = other;
  if (code !== undefined && Object.keys(code).length > 0) onErr.code = code;
  return onErr;
}

/** The fields an fn step and a group member share. */
function readCallableFields(r: YamlReader, m: Entries, what: string): Omit<Callable, "line" | "fn"> & { fn?: string } {
  const out: Omit<Callable, "line" | "fn"> & { fn?: string } = {};
  const fn = unset(r.str(m.get("fn")?.value, `${what}.fn`));
  const as = unset(r.str(m.get("as")?.value, `${what}.as`));
  const withMap = r.stringMap(m.get("with")?.value, `${what}.with`);
  const onErr = readOnErr(r, m.get("onErr")?.value, `${what}.onErr`);
  if (fn !== undefined) out.fn = fn;
  if (as !== undefined) out.as = as;
  if (withMap !== undefined && Object.keys(withMap).length > 0) out.with = withMap;
  if (onErr !== undefined) out.onErr = onErr;
  return out;
}

function readForEach(r: YamlReader, node: unknown, what: string): ForEach | undefined {
  const m = r.map(node, what);
  if (!m) return undefined;
  const forEach: ForEach = { line: r.lineOf(r.deref(node)) };
  const inKey = unset(r.str(m.get("in")?.value, `${what}.in`));
  const fn = unset(r.str(m.get("fn")?.value, `${what}.fn`));
  const as = unset(r.str(m.get("as")?.value, `${what}.as`));
  const onErr = readOnErr(r, m.get("onErr")?.value, `${what}.onErr`);
  if (inKey !== undefined) forEach.in = inKey;
  if (fn !== undefined) forEach.fn = fn;
  if (as !== undefined) forEach.as = as;
  if (onErr !== undefined) forEach.onErr = onErr;
  // Like Atmo, a `with` inside forEach is dropped: the function sees the full state.
  return forEach;
}

function readSteps(r: YamlReader, node: unknown, what: string): Step[] {
  return (r.seq(node, what) ?? []).flatMap((item, j) => {
    const where = `${what}[${j}]`;
    const m = r.map(item, where);
    if (!m) return [{ line: r.lineOf(r.deref(item) ?? item) }];
    const step: Step = { ...readCallableFields(r, m, where), line: r.lineOf(r.deref(item)) };
    const group = r.seq(m.get("group")?.value, `${where}.group`);
    if (group !== undefined) {
      step.group = group.flatMap((member, k) => {
        const mm = r.map(member, `${where}.group[${k}]`);
        if (!mm) return [];
        return [{ fn: "", ...readCallableFields(r, mm, `${where}.group[${k}]`), line: r.lineOf(r.deref(member)) }];
      });
    }
    const forEach = readForEach(r, m.get("forEach")?.value, `${where}.forEach`);
    if (forEach !== undefined) step.forEach = forEach;
    return [step];
  });
}

function readRunnable(r: YamlReader, node: unknown, i: number): (Omit<Runnable, "fqfn"> & { fqfn?: string }) | undefined {
  const what = `runnables[${i}]`;
  const m = r.map(node, what);
  if (!m) return undefined;
  const s = (key: string): string | undefined => unset(r.str(m.get(key)?.value, `${what}.${key}`));
  const out: Omit<Runnable, "fqfn"> & { fqfn?: string } = {
    name: s("name") ?? "",
    // Intent (Atmo's Q4): an unset namespace is `default`, as every document example assumes.
    namespace: s("namespace") ?? "default",
    line: r.lineOf(r.deref(node)),
  };
  for (const key of ["lang", "version", "draftVersion", "apiVersion", "fqfn"] as const) {
    const value = s(key);
    if (value !== undefined) out[key] = value;
  }
  return out;
}

function readHandler(r: YamlReader, node: unknown, i: number): Handler | undefined {
  const what = `handlers[${i}]`;
  const m = r.map(node, what);
  if (!m) return undefined;
  const s = (key: string): string | undefined => unset(r.str(m.get(key)?.value, `${what}.${key}`));
  const handler: Handler = {
    type: s("type") ?? "",
    resource: s("resource") ?? "",
    method: s("method") ?? "",
    steps: readSteps(r, m.get("steps")?.value, `${what}.steps`),
    line: r.lineOf(r.deref(node)),
  };
  const response = s("response");
  if (response !== undefined) handler.response = response;
  return handler;
}

function readSchedule(r: YamlReader, node: unknown, i: number): Schedule | undefined {
  const what = `schedules[${i}]`;
  const m = r.map(node, what);
  if (!m) return undefined;
  const everyMap = r.map(m.get("every")?.value, `${what}.every`);
  const every: Every = { seconds: 0, minutes: 0, hours: 0, days: 0 };
  for (const unit of Object.keys(every) as Array<keyof Every>) every[unit] = r.int(everyMap?.get(unit)?.value, `${what}.every.${unit}`) ?? 0;
  return {
    name: unset(r.str(m.get("name")?.value, `${what}.name`)) ?? "",
    every,
    state: r.stringMap(m.get("state")?.value, `${what}.state`) ?? {},
    steps: readSteps(r, m.get("steps")?.value, `${what}.steps`),
    line: r.lineOf(r.deref(node)),
  };
}

/** Parses Directive text; throws WACTOR_ERR_DIRECTIVE listing every syntax or type problem. */
export function parseDirective(text: string, file: string): Directive {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, version: "1.1", prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new DirectiveError(
      file,
      doc.errors.map((e) => ({ line: lines.linePos(e.pos[0]).line, message: `YAML syntax: ${e.message.split("\n")[0] ?? e.message}` })),
    );
  }
  const r = new YamlReader(doc, lines);
  const top: Entries = r.map(doc.contents, "(top level)") ?? new Map();
  const s = (key: string): string => unset(r.str(top.get(key)?.value, key)) ?? "";
  const identifier = s("identifier");
  const appVersion = s("appVersion");
  const list = <T>(key: string, read: (r: YamlReader, node: unknown, i: number) => T | undefined): T[] =>
    (r.seq(top.get(key)?.value, key) ?? []).flatMap((node, i) => {
      const item = read(r, node, i);
      return item === undefined ? [] : [item];
    });
  const directive: Directive = {
    file,
    identifier,
    appVersion,
    atmoVersion: s("atmoVersion"),
    headless: r.bool(top.get("headless")?.value, "headless") ?? false,
    // A value written in the file is kept as-is, as Atmo does.
    runnables: list("runnables", readRunnable).map((run) => ({ ...run, fqfn: run.fqfn ?? fqfnOf(identifier, run.namespace, run.name, appVersion) })),
    handlers: list("handlers", readHandler),
    schedules: list("schedules", readSchedule),
  };
  if (r.problems.length > 0) throw new DirectiveError(file, r.problems);
  return directive;
}
