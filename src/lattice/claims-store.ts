/** Claims of every actor that ever ran in the lattice (JetStream KV), for `ctl get claims` and link identities. */
import type { KV } from "nats";
import type { ActorClaims } from "../claims/types.js";
import type { ActorIdentity } from "../host/provider.js";
import { readState } from "./state-read.js";
import type { LatticeBuckets } from "./buckets.js";
import { writeState } from "./state-write.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class ClaimsStore {
  private constructor(private readonly kv: KV) {}

  static async open(buckets: LatticeBuckets, bucket: string): Promise<ClaimsStore> {
    return new ClaimsStore(await buckets.kv(bucket, { history: 1 }));
  }

  async put(claims: ActorClaims): Promise<void> {
    await writeState(`storing the claims of ${claims.subject}`, () => this.kv.put(claims.subject, encoder.encode(JSON.stringify(claims))));
  }

  async get(actorKey: string): Promise<ActorClaims | undefined> {
    const entry = await readState(`reading the claims of ${actorKey}`, () => this.kv.get(actorKey));
    return entry && entry.operation === "PUT" ? (JSON.parse(decoder.decode(entry.value)) as ActorClaims) : undefined;
  }

  async identity(actorKey: string): Promise<ActorIdentity | undefined> {
    const claims = await this.get(actorKey);
    return claims && { key: claims.subject, issuer: claims.issuer, caps: claims.caps, ...(claims.name !== undefined && { name: claims.name }) };
  }

  async list(): Promise<ActorClaims[]> {
    // Keys first: awaiting inside the keys iterator ends it early (nats.js v2).
    const keys = await readState("listing the claims", async () => {
      const keys: string[] = [];
      for await (const key of await this.kv.keys()) keys.push(key);
      return keys;
    });
    const all: ActorClaims[] = [];
    for (const key of keys) {
      const claims = await this.get(key);
      if (claims) all.push(claims);
    }
    return all;
  }
}
