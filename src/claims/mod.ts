export {
  KeyPair,
  KEY_TYPES,
  KEY_PREFIXES,
  decodePublicKey,
  decodeSeed,
  encodePublicKey,
  encodeSeed,
  isPublicKey,
  verifyWithPublicKey,
  publicKeyObject,
} from "./nkeys.js";
export type { KeyType } from "./nkeys.js";
export type { ActorClaims } from "./types.js";
export { WELL_KNOWN_CAPABILITIES } from "./types.js";
export { moduleHash } from "./hash.js";
export { signModule } from "./sign.js";
export type { SignOptions, SignedModule } from "./sign.js";
export { verifyModule, assertValidModule, DEFAULT_MAX_MODULE_BYTES } from "./verify.js";
export type { Verdict, VerifyOptions } from "./verify.js";
export { decodeToken, encodeToken, verifyTokenSignature, TOKEN_ALG } from "./token.js";
export { listSections, stripJwtSections, appendCustomSection, jwtSectionContents, JWT_SECTION } from "./wasm-sections.js";
