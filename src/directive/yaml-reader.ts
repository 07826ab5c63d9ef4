/**
 * Typed, located reads over a parsed YAML document, with the decoding rules Atmo's Go
 * decoder (yaml.v2) has: YAML 1.1 scalars (`yes` is true, `0x1F` an integer), any scalar read
 * into a string field keeps its literal text (`1.10` stays "1.10", not 1.1), null is unset,
 * unknown keys are ignored, and a value of the wrong kind is a problem naming its line.
 */
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node, type Pair } from "yaml";
import type { DirectiveProblem } from "./types.js";

/** Aliases resolved per document; an alias bomb stops here (the manifests use the same cap). */
const MAX_ALIASES = 100;

export class YamlReader {
  readonly problems: DirectiveProblem[] = [];
  private aliases = 0;

  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  lineOf(node: unknown): number {
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    return range ? this.lines.linePos(range[0]).line : 1;
  }

  private problem(node: unknown, message: string): void {
    this.problems.push({ line: this.lineOf(node), message });
  }

  /** The node itself, an alias's target, or undefined for an absent or null value. */
  deref(node: unknown): Node | undefined {
    let current = node;
    if (isAlias(current)) {
      if (++this.aliases > MAX_ALIASES) {
        this.problem(current, `more than ${MAX_ALIASES} aliases; write the values out`);
        return undefined;
      }
      current = current.resolve(this.doc);
      if (current === undefined) {
        this.problem(node, "alias to an unknown anchor");
        return undefined;
      }
    }
    if (current === null || current === undefined) return undefined;
    if (isScalar(current) && current.value === null) return undefined;
    return current as Node;
  }

  private kindOf(node: Node): string {
    return isMap(node) ? "a map" : isSeq(node) ? "a list" : `the scalar '${this.text(node) ?? ""}'`;
  }

  /** A scalar's literal text (for plain scalars the source, so `1.10` stays "1.10"). */
  private text(node: Node): string | undefined {
    if (!isScalar(node)) return undefined;
    if (node.value === null) return undefined;
    if (node.type === "PLAIN" && typeof node.source === "string") return node.source;
    return String(node.value);
  }

  /** A map's entries by key text (later duplicates are refused by the parser). */
  map(node: unknown, what: string): Map<string, { key: unknown; value: unknown }> | undefined {
    const target = this.deref(node);
    if (target === undefined) return undefined;
    if (!isMap(target)) {
      this.problem(target, `${what}: expected a map, found ${this.kindOf(target)}`);
      return undefined;
    }
    const entries = new Map<string, { key: unknown; value: unknown }>();
    for (const pair of target.items as Pair[]) {
      const key = this.deref(pair.key);
      const name = key === undefined ? "" : this.text(key);
      if (name === undefined) {
        this.problem(pair.key ?? target, `${what}: a key must be a scalar`);
        continue;
      }
      entries.set(name, { key: pair.key ?? target, value: pair.value });
    }
    return entries;
  }

  seq(node: unknown, what: string): unknown[] | undefined {
    const target = this.deref(node);
    if (target === undefined) return undefined;
    if (!isSeq(target)) {
      this.problem(target, `${what}: expected a list, found ${this.kindOf(target)}`);
      return undefined;
    }
    return target.items;
  }

  str(node: unknown, what: string): string | undefined {
    const target = this.deref(node);
    if (target === undefined) return undefined;
    const text = this.text(target);
    if (text === undefined) this.problem(target, `${what}: expected a string, found ${this.kindOf(target)}`);
    return text;
  }

  int(node: unknown, what: string): number | undefined {
    const target = this.deref(node);
    if (target === undefined) return undefined;
    const value = isScalar(target) ? target.value : undefined;
    if (typeof value === "number" && Number.isSafeInteger(value)) return value;
    this.problem(target, `${what}: expected an integer, found ${this.kindOf(target)}`);
    return undefined;
  }

  bool(node: unknown, what: string): boolean | undefined {
    const target = this.deref(node);
    if (target === undefined) return undefined;
    const value = isScalar(target) ? target.value : undefined;
    if (typeof value === "boolean") return value;
    this.problem(target, `${what}: expected true or false, found ${this.kindOf(target)}`);
    return undefined;
  }

  /** A map of strings (`with`, a schedule's `state`); non-string values are problems. */
  stringMap(node: unknown, what: string): Record<string, string> | undefined {
    const entries = this.map(node, what);
    if (!entries) return undefined;
    const out: Record<string, string> = {};
    for (const [key, { value }] of entries) {
      const text = this.str(value, `${what}.${key}`);
      if (text !== undefined) out[key] = text;
    }
    return out;
  }

  /** A map whose keys must be integers (onErr.code). */
  intKeyMap(node: unknown, what: string): Record<number, string> | undefined {
    const entries = this.map(node, what);
    if (!entries) return undefined;
    const out: Record<number, string> = {};
    for (const [key, { key: keyNode, value }] of entries) {
      const code = this.int(keyNode, `${what} key '${key}'`);
      const text = this.str(value, `${what}.${key}`);
      if (code !== undefined && text !== undefined) out[code] = text;
    }
    return out;
  }
}
