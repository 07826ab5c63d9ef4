/**
 * Links (actor, capability, binding name -> values) of a lattice, kept in a JetStream KV
 * bucket so every host sees them and they survive restarts.
 */
import type { KV, KvEntry } from "nats";
import type { Logger } from "pino";
import type { Binding } from "../host/bindings.js";
import { normalizeBinding } from "../host/provider.js";
import type { LatticeBuckets } from "./buckets.js";
import { followKv } from "./kv-follow.js";
import { readState } from "./state-read.js";
import { writeState } from "./state-write.js";

export type Link = Binding;

const codec = new TextEncoder();
const decoder = new TextDecoder();

/** KV keys allow [-/_=.A-Za-z0-9]: base64url of the triple, unambiguous and reversible. */
export function linkKey(actorKey: string, capabilityId: string, binding: string): string {
  return Buffer.from(`${actorKey}\n${capabilityId}\n${normalizeBinding(binding)}`).toString("base64url");
}

function parseLink(entry: KvEntry): Link | undefined {
  try {
    const link = JSON.parse(decoder.decode(entry.value)) as Link;
    return typeof link.actorKey === "string" && typeof link.capabilityId === "string" && typeof link.binding === "string" ? link : undefined;
  } catch {
    return undefined;
  }
}

export type LinkChange = { change: "put"; link: Link } | { change: "deleted"; actorKey: string; capabilityId: string; binding: string };

export class LinkStore {
  private constructor(private readonly kv: KV) {}

  static async open(buckets: LatticeBuckets, bucket: string): Promise<LinkStore> {
    return new LinkStore(await buckets.kv(bucket, { history: 5 }));
  }

  async put(link: Link): Promise<void> {
    const normalized = { ...link, binding: normalizeBinding(link.binding) };
    const key = linkKey(normalized.actorKey, normalized.capabilityId, normalized.binding);
    await writeState(`storing link ${key}`, () => this.kv.put(key, codec.encode(JSON.stringify(normalized))));
  }

  async get(actorKey: string, capabilityId: string, binding: string): Promise<Link | undefined> {
    const key = linkKey(actorKey, capabilityId, binding);
    const entry = await readState(`reading link ${key}`, () => this.kv.get(key));
    return entry && entry.operation === "PUT" ? parseLink(entry) : undefined;
  }

  async delete(actorKey: string, capabilityId: string, binding: string): Promise<boolean> {
    const existing = await this.get(actorKey, capabilityId, binding);
    if (!existing) return false;
    const key = linkKey(actorKey, capabilityId, binding);
    await writeState(`deleting link ${key}`, () => this.kv.delete(key));
    return true;
  }

  async list(): Promise<Link[]> {
    // Keys first: awaiting inside the keys iterator ends it early (nats.js v2).
    const keys = await readState("listing the links", async () => {
      const keys: string[] = [];
      for await (const key of await this.kv.keys()) keys.push(key);
      return keys;
    });
    const links: Link[] = [];
    for (const key of keys) {
      const entry = await readState(`reading link ${key}`, () => this.kv.get(key));
      const link = entry && entry.operation === "PUT" ? parseLink(entry) : undefined;
      if (link) links.push(link);
    }
    return links;
  }

  /**
   * Calls `onChange` for every current link, then for each change; resolves once the current
   * ones were delivered, so a host joining knows every link before it serves. The watch
   * survives the loss of its consumer (kv-follow.ts).
   */
  watch(onChange: (change: LinkChange) => void, logger?: Logger): Promise<{ stop(): void }> {
    return followKv(
      this.kv,
      (entry) => {
        if (entry.operation === "PUT") {
          const link = parseLink(entry);
          if (link) onChange({ change: "put", link });
        } else {
          const [actorKey = "", capabilityId = "", binding = ""] = Buffer.from(entry.key, "base64url").toString("utf8").split("\n");
          onChange({ change: "deleted", actorKey, capabilityId, binding });
        }
      },
      { what: "links", ...(logger && { logger }) },
    );
  }
}
