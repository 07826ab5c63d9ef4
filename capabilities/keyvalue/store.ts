/**
 * The storage behind one key-value binding. Both implementations follow Redis semantics,
 * which is what waSCC's Redis provider exposed to actors:
 * - Add = INCRBY (keeps a TTL), Set = SET [EX] (clears a TTL), Del/Clear = DEL;
 * - Push = LPUSH (newCount = list length), ListItemDelete = LREM 0 (newCount = items removed),
 *   Range = LRANGE (inclusive, negative indexes count from the end);
 * - SetAdd/SetRemove = SADD/SREM (newCount = members added/removed);
 * - a list or set that becomes empty no longer exists;
 * - an operation on a key of another kind fails with WACTOR_ERR_WRONG_TYPE.
 * Set members are returned sorted so that both stores answer byte-for-byte alike.
 */
import type { BindingStatus } from "../../src/provider/contract.js";

export interface KeyValueStore {
  /** Adds `delta` to the integer at `key` (missing = 0); returns the new value. */
  add(key: string, delta: number): Promise<number>;
  /** The string at `key`, or undefined when there is none. */
  get(key: string): Promise<string | undefined>;
  /** Stores a string; `expiresSeconds` > 0 makes it expire, 0 keeps it forever. */
  set(key: string, value: string, expiresSeconds: number): Promise<void>;
  del(key: string): Promise<void>;
  range(key: string, start: number, stop: number): Promise<string[]>;
  push(key: string, value: string): Promise<number>;
  listItemDelete(key: string, value: string): Promise<number>;
  setAdd(key: string, value: string): Promise<number>;
  setRemove(key: string, value: string): Promise<number>;
  setUnion(keys: readonly string[]): Promise<string[]>;
  setIntersection(keys: readonly string[]): Promise<string[]>;
  setQuery(key: string): Promise<string[]>;
  exists(key: string): Promise<boolean>;
  status(): BindingStatus;
  /** Releases connections and timers; the store is unusable afterwards. */
  close(): Promise<void>;
}

export const sortStrings = (values: Iterable<string>): string[] => [...values].sort();
