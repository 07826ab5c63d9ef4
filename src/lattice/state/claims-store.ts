/** Claims of every actor that ever ran in the lattice (JetStream KV), for `ctl get claims` and link identities. */
import type { KV, KvEntry } from "nats";
import type { ActorClaims } from "../../claims/types.js";
import type { ActorIdentity } from "../../provider/contract.js";
import { readState } from "./state-read.js";
import type { LatticeBuckets } from "./buckets.js";
import type { RejectionReporter } from "../wire/rejections.js";
import { writeState } from "./state-write.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Enough of the claims to be used as an identity; anything less is junk. */
function isClaims(v: unknown): v is ActorClaims {
  const c = v as Partial<ActorClaims> | null;
  return (
    typeof c === "object" &&
    c !== null &&
    typeof c.subject === "string" &&
    typeof c.issuer === "string" &&
    typeof c.hash === "string" &&
    Array.isArray(c.caps) &&
    Array.isArray(c.tags)
  );
}

export class ClaimsStore {
  private constructor(
    private readonly kv: KV,
    private readonly reporter: RejectionReporter | undefined,
  ) {}

  /** Claims are informational (every host verifies a module's own claims before running it): junk is reported and skipped. */
  static async open(buckets: LatticeBuckets, bucket: string, reporter?: RejectionReporter): Promise<ClaimsStore> {
    return new ClaimsStore(await buckets.kv(bucket, { history: 1 }), reporter);
  }

  async put(claims: ActorClaims): Promise<void> {
    await writeState(`storing the claims of ${claims.subject}`, () => this.kv.put(claims.subject, encoder.encode(JSON.stringify(claims))));
  }

  async get(actorKey: string): Promise<ActorClaims | undefined> {
    const entry = await readState(`reading the claims of ${actorKey}`, () => this.kv.get(actorKey));
    return entry && entry.operation === "PUT" ? this.#parse(entry) : undefined;
  }

  #parse(entry: KvEntry): ActorClaims | undefined {
    let claims: unknown;
    try {
      claims = JSON.parse(decoder.decode(entry.value));
    } catch {
      claims = undefined;
    }
    if (isClaims(claims) && claims.subject === entry.key) return claims;
    this.reporter?.report({
      scope: "claims",
      reason: "malformed",
      key: entry.key,
      revision: entry.revision,
      detail: "not the claims of the actor of this key",
    });
    return undefined;
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
