/**
 * NATS nkeys codec for every prefix, including module (M) and service (V) keys that the
 * official nkeys packages refuse (docs/wascc-protocol.md §4). Ed25519 comes from node:crypto.
 */
import { createPrivateKey, createPublicKey, randomBytes, sign, verify, type KeyObject } from "node:crypto";
import { base32nopad } from "@scure/base";
import { crc16xmodem } from "crc";
import { WactorError } from "../errors.js";

/** Prefix byte of each key type: letter index << 3. */
export const KEY_PREFIXES = {
  account: 0, // A
  cluster: 16, // C
  module: 96, // M
  server: 104, // N
  operator: 112, // O
  user: 160, // U
  service: 168, // V
} as const;

export type KeyType = keyof typeof KEY_PREFIXES;
export const KEY_TYPES = Object.keys(KEY_PREFIXES) as KeyType[];

const SEED_PREFIX = 18 << 3; // 'S' = 144
const PKCS8_ED25519 = Buffer.from("302e020100300506032b657004220420", "hex");
const SPKI_ED25519 = Buffer.from("302a300506032b6570032100", "hex");

function typeOfPrefix(prefix: number): KeyType | undefined {
  return KEY_TYPES.find((t) => KEY_PREFIXES[t] === prefix);
}

function withChecksum(body: Uint8Array): string {
  const out = new Uint8Array(body.length + 2);
  out.set(body);
  const crc = crc16xmodem(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  out[body.length] = crc & 0xff;
  out[body.length + 1] = (crc >> 8) & 0xff;
  return base32nopad.encode(out);
}

/** Decodes base32 and checks the trailing little-endian CRC-16/XMODEM; returns the body. */
function decodeChecked(text: string): Uint8Array {
  let raw: Uint8Array;
  try {
    raw = base32nopad.decode(text);
  } catch {
    throw new WactorError("WACTOR_ERR_INVALID_KEY", "not base32");
  }
  if (raw.length < 3) throw new WactorError("WACTOR_ERR_INVALID_KEY", "too short");
  const body = raw.subarray(0, raw.length - 2);
  const expected = (raw[raw.length - 2]! | (raw[raw.length - 1]! << 8)) >>> 0;
  if (crc16xmodem(Buffer.from(body.buffer, body.byteOffset, body.byteLength)) !== expected)
    throw new WactorError("WACTOR_ERR_INVALID_KEY", "checksum mismatch");
  return body;
}

export function encodePublicKey(type: KeyType, raw: Uint8Array): string {
  if (raw.length !== 32) throw new WactorError("WACTOR_ERR_INVALID_KEY", "public key must be 32 bytes");
  const body = new Uint8Array(33);
  body[0] = KEY_PREFIXES[type];
  body.set(raw, 1);
  return withChecksum(body);
}

export function decodePublicKey(publicKey: string): { type: KeyType; raw: Uint8Array } {
  if (typeof publicKey !== "string" || publicKey.length !== 56) {
    throw new WactorError("WACTOR_ERR_INVALID_KEY", "a public key has 56 characters");
  }
  const body = decodeChecked(publicKey);
  const type = typeOfPrefix(body[0]!);
  if (!type || body.length !== 33) throw new WactorError("WACTOR_ERR_INVALID_KEY", "unknown public key prefix");
  return { type, raw: body.slice(1) };
}

export function encodeSeed(type: KeyType, seed: Uint8Array): string {
  if (seed.length !== 32) throw new WactorError("WACTOR_ERR_INVALID_KEY", "seed must be 32 bytes");
  const prefix = KEY_PREFIXES[type];
  const body = new Uint8Array(34);
  body[0] = SEED_PREFIX | (prefix >> 5);
  body[1] = (prefix << 3) & 0xff;
  body.set(seed, 2);
  return withChecksum(body);
}

export function decodeSeed(seed: string): { type: KeyType; raw: Uint8Array } {
  if (typeof seed !== "string" || seed.length !== 58) {
    throw new WactorError("WACTOR_ERR_INVALID_KEY", "a seed has 58 characters");
  }
  const body = decodeChecked(seed);
  if (body.length !== 34 || (body[0]! & 0xf8) !== SEED_PREFIX) {
    throw new WactorError("WACTOR_ERR_INVALID_KEY", "not a seed");
  }
  const prefix = ((body[0]! & 0x07) << 5) | (body[1]! >> 3);
  const type = typeOfPrefix(prefix);
  if (!type) throw new WactorError("WACTOR_ERR_INVALID_KEY", "unknown seed prefix");
  return { type, raw: body.slice(2) };
}

export function isPublicKey(text: string, type?: KeyType): boolean {
  try {
    const decoded = decodePublicKey(text);
    return type === undefined || decoded.type === type;
  } catch {
    return false;
  }
}

/** The node:crypto Ed25519 public key behind an nkey public key. */
export function publicKeyObject(publicKey: string): KeyObject {
  const { raw } = decodePublicKey(publicKey);
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519, raw]), format: "der", type: "spki" });
}

/** Verifies an Ed25519 signature by the holder of an nkey public key. */
export function verifyWithPublicKey(publicKey: string, data: Uint8Array, signature: Uint8Array): boolean {
  const key = publicKeyObject(publicKey);
  try {
    return verify(null, data, key, signature);
  } catch {
    return false;
  }
}

/** A key pair (or a public key only) of one nkey type. */
export class KeyPair {
  readonly type: KeyType;
  readonly publicKey: string;
  readonly #seed: string | undefined;
  readonly #privateKey: KeyObject | undefined;

  private constructor(type: KeyType, publicKey: string, seed?: string, privateKey?: KeyObject) {
    this.type = type;
    this.publicKey = publicKey;
    this.#seed = seed;
    this.#privateKey = privateKey;
  }

  static create(type: KeyType): KeyPair {
    return KeyPair.fromRawSeed(type, randomBytes(32));
  }

  static fromSeed(seed: string): KeyPair {
    const { type, raw } = decodeSeed(seed.trim());
    return KeyPair.fromRawSeed(type, raw);
  }

  static fromPublicKey(publicKey: string): KeyPair {
    const { type } = decodePublicKey(publicKey.trim());
    return new KeyPair(type, publicKey.trim());
  }

  private static fromRawSeed(type: KeyType, raw: Uint8Array): KeyPair {
    const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, raw]), format: "der", type: "pkcs8" });
    const spki = createPublicKey(privateKey).export({ format: "der", type: "spki" });
    const publicRaw = spki.subarray(spki.length - 32);
    return new KeyPair(type, encodePublicKey(type, publicRaw), encodeSeed(type, raw), privateKey);
  }

  get hasSeed(): boolean {
    return this.#seed !== undefined;
  }

  /** The encoded seed (`S…`); throws for a public-only key pair. */
  get seed(): string {
    if (!this.#seed) throw new WactorError("WACTOR_ERR_KEY_TYPE", "this key pair has no seed");
    return this.#seed;
  }

  /** The node:crypto private key, for signing tokens. */
  get privateKey(): KeyObject {
    if (!this.#privateKey) throw new WactorError("WACTOR_ERR_KEY_TYPE", "this key pair has no seed");
    return this.#privateKey;
  }

  sign(data: Uint8Array): Uint8Array {
    return new Uint8Array(sign(null, data, this.privateKey));
  }

  verify(data: Uint8Array, signature: Uint8Array): boolean {
    return verifyWithPublicKey(this.publicKey, data, signature);
  }
}
