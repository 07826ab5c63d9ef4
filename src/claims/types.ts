/** Actor claims as wactor uses them (camelCase); the wire format is in token.ts. */
export interface ActorClaims {
  /** Unique token id. */
  jti: string;
  /** Issued at, seconds since the epoch. */
  iat: number;
  /** Expires, seconds since the epoch. */
  exp?: number;
  /** Not before, seconds since the epoch. */
  nbf?: number;
  /** Issuer: account public key (`A…`). */
  issuer: string;
  /** Subject: the module public key (`M…`), the actor's identity. */
  subject: string;
  name?: string;
  /** SHA-256 upper-hex of the module without its `jwt` section. */
  hash: string;
  tags: string[];
  /** Capability ids the actor is allowed to use. */
  caps: string[];
  rev?: number;
  ver?: string;
  /** True for capability providers; actors are false. */
  provider: boolean;
  callAlias?: string;
}

/** Well-known capability ids (docs/wascc-protocol.md §2). Others are allowed: providers are pluggable. */
export const WELL_KNOWN_CAPABILITIES = [
  "wascc:http_server",
  "wascc:keyvalue",
  "wascc:messaging",
  "wascc:logging",
  "wascc:extras",
  "wascc:blobstore",
  "wascc:eventstreams",
  "wascc:http_client",
] as const;
