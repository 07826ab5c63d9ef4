/**
 * `wascc:keyvalue`: every operation of the waSCC contract over a store per binding.
 *
 * Binding values:
 * - `URL` (optional): `redis://[user:pass@]host:port[/db]`; without it the binding gets an
 *   embedded MemoryStore of its own (lost on unbind or stop).
 * - `SHARED` (optional, embedded only): a name; every binding of this provider with the same
 *   name uses one embedded store (a bundle's functions share their cache, as Atmo's do). It
 *   lives until its last binding goes.
 * - `KEY_PREFIX` (optional, Redis only): prepended to every key. Default none: keys reach
 *   Redis exactly as the actor names them, as with waSCC's and wasmCloud's Redis providers
 *   (docs/wascc-protocol.md §2), so data a waSCC host wrote is found and anything else reading that
 *   Redis sees the actor's own key names. Isolating actors that share one Redis is the
 *   operator's choice: a database in the URL (`redis://host/2`) or a prefix.
 */
import {
  CAP_KEYVALUE,
  decodeKeyValueRequest,
  encodeKeyValueResponse,
  isKeyValueOperation,
  type KeyValueOperation,
  type KeyValueRequests,
  type KeyValueResponses,
} from "../../src/codec/mod.js";
import { WactorError } from "../../src/errors.js";
import type { ActorIdentity, BindingStatus, CapabilityProvider, ProviderCall, ProviderContext } from "../../src/provider/contract.js";
import { bindingFor, bindingKey, unknownOperation } from "../shared.js";
import { ATTR, SPAN } from "../../src/tracing/names.js";
import type { Tracing } from "../../src/tracing/tracing.js";
import { MemoryStore } from "./memory-store.js";
import { RedisStore, type RedisStoreOptions } from "./redis-store.js";
import type { KeyValueStore } from "./store.js";

export interface KeyValueProviderOptions {
  name?: string;
  /** Timeouts and reconnection of Redis bindings (see RedisStoreOptions). */
  redis?: Omit<RedisStoreOptions, "keyPrefix">;
}

type Handlers = { [Op in KeyValueOperation]: (store: KeyValueStore, req: KeyValueRequests[Op]) => Promise<KeyValueResponses[Op]> };

const HANDLERS: Handlers = {
  Add: async (s, r) => ({ value: await s.add(r.key, r.value) }),
  Get: async (s, r) => {
    const value = await s.get(r.key);
    return { value: value ?? "", exists: value !== undefined };
  },
  Set: async (s, r) => {
    if (r.expires < 0) throw new WactorError("WACTOR_ERR_BAD_PAYLOAD", `keyvalue Set: expires must be >= 0 seconds, got ${r.expires}`);
    await s.set(r.key, r.value, r.expires);
    return { value: r.value };
  },
  Del: async (s, r) => {
    await s.del(r.key);
    return { key: r.key };
  },
  Clear: async (s, r) => {
    await s.del(r.key);
    return { key: r.key };
  },
  Range: async (s, r) => ({ values: await s.range(r.key, r.start, r.stop) }),
  Push: async (s, r) => ({ newCount: await s.push(r.key, r.value) }),
  ListItemDelete: async (s, r) => ({ newCount: await s.listItemDelete(r.key, r.value) }),
  SetAdd: async (s, r) => ({ newCount: await s.setAdd(r.key, r.value) }),
  SetRemove: async (s, r) => ({ newCount: await s.setRemove(r.key, r.value) }),
  SetUnion: async (s, r) => ({ values: await s.setUnion(r.keys) }),
  SetIntersection: async (s, r) => ({ values: await s.setIntersection(r.keys) }),
  SetQuery: async (s, r) => ({ values: await s.setQuery(r.key) }),
  KeyExists: async (s, r) => ({ value: "", exists: await s.exists(r.key) }),
};

async function dispatch<Op extends KeyValueOperation>(op: Op, store: KeyValueStore, payload: Uint8Array): Promise<Uint8Array> {
  const handler = HANDLERS[op] as (store: KeyValueStore, req: KeyValueRequests[Op]) => Promise<KeyValueResponses[Op]>;
  return encodeKeyValueResponse(op, await handler(store, decodeKeyValueRequest(op, payload)));
}

export class KeyValueProvider implements CapabilityProvider {
  readonly capabilityId = CAP_KEYVALUE;
  readonly name: string;
  readonly #options: KeyValueProviderOptions;
  readonly #stores = new Map<string, KeyValueStore>();
  /** Shared embedded stores by name, with the binding keys using each. */
  readonly #shared = new Map<string, { store: MemoryStore; users: Set<string> }>();
  #tracing: Tracing | undefined;

  constructor(options: KeyValueProviderOptions = {}) {
    this.name = options.name ?? "keyvalue";
    this.#options = options;
  }

  async start(context: ProviderContext): Promise<void> {
    // Key-value never delivers to actors: only the tracing (if on) is kept.
    this.#tracing = context.tracing;
  }

  async stop(): Promise<void> {
    const stores = new Set(this.#stores.values());
    this.#stores.clear();
    this.#shared.clear();
    await Promise.all([...stores].map((store) => store.close()));
  }

  async bind(actor: ActorIdentity, binding: string, values: Readonly<Record<string, string>>): Promise<void> {
    const url = values.URL?.trim();
    const shared = values.SHARED?.trim();
    if (url && shared)
      throw new WactorError(
        "WACTOR_ERR_BINDING_INVALID",
        "SHARED names an embedded store: give URL or SHARED, not both (bindings that share one Redis URL already share its keys)",
      );
    const key = bindingKey(actor.key, binding);
    const store = url
      ? await RedisStore.connect(url, { ...this.#options.redis, keyPrefix: values.KEY_PREFIX ?? "" })
      : shared
        ? this.#acquireShared(shared)
        : new MemoryStore();
    const previous = this.#stores.get(key);
    if (previous !== undefined) await this.#release(key, previous);
    if (shared) this.#shared.get(shared)!.users.add(key);
    this.#stores.set(key, store);
  }

  async unbind(actorKey: string, binding: string): Promise<void> {
    const key = bindingKey(actorKey, binding);
    const store = this.#stores.get(key);
    this.#stores.delete(key);
    if (store !== undefined) await this.#release(key, store);
  }

  #acquireShared(name: string): MemoryStore {
    let entry = this.#shared.get(name);
    if (!entry) this.#shared.set(name, (entry = { store: new MemoryStore(), users: new Set() }));
    return entry.store;
  }

  /** Closes a binding's store, unless other bindings still share it. */
  async #release(key: string, store: KeyValueStore): Promise<void> {
    for (const [name, entry] of this.#shared) {
      if (entry.store !== store) continue;
      entry.users.delete(key);
      if (entry.users.size > 0) return;
      this.#shared.delete(name);
    }
    await store.close();
  }

  bindingStatus(actorKey: string, binding: string): BindingStatus | undefined {
    return this.#stores.get(bindingKey(actorKey, binding))?.status();
  }

  async handleCall(call: ProviderCall): Promise<Uint8Array> {
    if (!isKeyValueOperation(call.operation)) throw unknownOperation(this.capabilityId, call.operation);
    const store = bindingFor(this.#stores, this.capabilityId, call);
    const tracing = this.#tracing;
    // Redis round trips get a client span; the embedded store's calls are no I/O.
    if (tracing && store instanceof RedisStore) {
      const op = call.operation;
      return tracing.traced(SPAN.redis(op), "client", { [ATTR.dbSystem]: "redis", [ATTR.dbOperation]: op }, () => dispatch(op, store, call.payload));
    }
    return dispatch(call.operation, store, call.payload);
  }
}
