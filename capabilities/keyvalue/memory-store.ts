/** The embedded store: a Map per binding with Redis semantics (see store.ts), expiry included. */
import { WactorError } from "../../src/errors.js";
import type { BindingStatus } from "../../src/provider/contract.js";
import { sortStrings, type KeyValueStore } from "./store.js";

type Value = { kind: "string"; value: string } | { kind: "list"; items: string[] } | { kind: "set"; members: Set<string> };
interface Entry {
  data: Value;
  /** Epoch ms, or undefined for no expiry. */
  expiresAt: number | undefined;
}

// Redis accepts only canonical decimal integers for INCRBY: no '+', no spaces, no leading zeros.
const INTEGER = /^-?(0|[1-9]\d*)$/;
const SWEEP_MS = 60_000;

const wrongType = (key: string, need: string): WactorError => new WactorError("WACTOR_ERR_WRONG_TYPE", `key '${key}' does not hold ${need}`);

export class MemoryStore implements KeyValueStore {
  readonly #entries = new Map<string, Entry>();
  readonly #now: () => number;
  // Expired keys are dropped when touched; the sweep only bounds memory for keys never read again.
  readonly #sweep: NodeJS.Timeout;

  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
    this.#sweep = setInterval(() => this.#dropExpired(), SWEEP_MS).unref();
  }

  async add(key: string, delta: number): Promise<number> {
    const entry = this.#live(key);
    const current = entry === undefined ? 0 : this.#integerOf(key, entry.data);
    const next = current + delta;
    if (!Number.isSafeInteger(next)) throw new WactorError("WACTOR_ERR_WRONG_TYPE", `increment of '${key}' overflows`);
    this.#entries.set(key, { data: { kind: "string", value: String(next) }, expiresAt: entry?.expiresAt });
    return next;
  }

  async get(key: string): Promise<string | undefined> {
    const entry = this.#live(key);
    if (entry === undefined) return undefined;
    if (entry.data.kind !== "string") throw wrongType(key, "a string");
    return entry.data.value;
  }

  async set(key: string, value: string, expiresSeconds: number): Promise<void> {
    const expiresAt = expiresSeconds > 0 ? this.#now() + expiresSeconds * 1000 : undefined;
    this.#entries.set(key, { data: { kind: "string", value }, expiresAt });
  }

  async del(key: string): Promise<void> {
    this.#entries.delete(key);
  }

  async range(key: string, start: number, stop: number): Promise<string[]> {
    const items = this.#list(key);
    if (items === undefined) return [];
    const n = items.length;
    const from = Math.max(start < 0 ? n + start : start, 0);
    const to = Math.min(stop < 0 ? n + stop : stop, n - 1);
    return from > to ? [] : items.slice(from, to + 1);
  }

  async push(key: string, value: string): Promise<number> {
    const entry = this.#live(key);
    if (entry === undefined) {
      this.#entries.set(key, { data: { kind: "list", items: [value] }, expiresAt: undefined });
      return 1;
    }
    if (entry.data.kind !== "list") throw wrongType(key, "a list");
    entry.data.items.unshift(value);
    return entry.data.items.length;
  }

  async listItemDelete(key: string, value: string): Promise<number> {
    const items = this.#list(key);
    if (items === undefined) return 0;
    const kept = items.filter((item) => item !== value);
    const removed = items.length - kept.length;
    if (kept.length === 0) this.#entries.delete(key);
    else items.splice(0, items.length, ...kept);
    return removed;
  }

  async setAdd(key: string, value: string): Promise<number> {
    const entry = this.#live(key);
    if (entry === undefined) {
      this.#entries.set(key, { data: { kind: "set", members: new Set([value]) }, expiresAt: undefined });
      return 1;
    }
    if (entry.data.kind !== "set") throw wrongType(key, "a set");
    const before = entry.data.members.size;
    entry.data.members.add(value);
    return entry.data.members.size - before;
  }

  async setRemove(key: string, value: string): Promise<number> {
    const members = this.#set(key);
    if (members === undefined || !members.delete(value)) return 0;
    if (members.size === 0) this.#entries.delete(key);
    return 1;
  }

  async setUnion(keys: readonly string[]): Promise<string[]> {
    const union = new Set<string>();
    for (const key of keys) for (const member of this.#set(key) ?? []) union.add(member);
    return sortStrings(union);
  }

  async setIntersection(keys: readonly string[]): Promise<string[]> {
    // Redis checks every key's type even once the intersection is empty.
    const sets = keys.map((key) => this.#set(key) ?? new Set<string>());
    const [first, ...rest] = sets;
    if (first === undefined) return [];
    return sortStrings([...first].filter((member) => rest.every((s) => s.has(member))));
  }

  async setQuery(key: string): Promise<string[]> {
    return sortStrings(this.#set(key) ?? []);
  }

  async exists(key: string): Promise<boolean> {
    return this.#live(key) !== undefined;
  }

  status(): BindingStatus {
    return { state: "ok" };
  }

  async close(): Promise<void> {
    clearInterval(this.#sweep);
    this.#entries.clear();
  }

  /** The entry at `key` unless it expired (then it is dropped). */
  #live(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry?.expiresAt !== undefined && entry.expiresAt <= this.#now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  #integerOf(key: string, data: Value): number {
    if (data.kind !== "string") throw wrongType(key, "an integer");
    if (!INTEGER.test(data.value) || !Number.isSafeInteger(Number(data.value))) throw wrongType(key, "an integer");
    return Number(data.value);
  }

  #list(key: string): string[] | undefined {
    const entry = this.#live(key);
    if (entry === undefined) return undefined;
    if (entry.data.kind !== "list") throw wrongType(key, "a list");
    return entry.data.items;
  }

  #set(key: string): Set<string> | undefined {
    const entry = this.#live(key);
    if (entry === undefined) return undefined;
    if (entry.data.kind !== "set") throw wrongType(key, "a set");
    return entry.data.members;
  }

  #dropExpired(): void {
    for (const key of this.#entries.keys()) this.#live(key);
  }
}
