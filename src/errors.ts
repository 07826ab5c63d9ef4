/**
 * The one catalog of wactor errors. Every failure the product reports carries a stable
 * `WACTOR_ERR_*` code, an HTTP-ish status and a message that tells the user what to do.
 * Modelled on fastify's FST_ERR_* catalog: codes never change meaning once published.
 */
export const ERROR_CATALOG = {
  // Module and claims verification (issue: foundation)
  WACTOR_ERR_NOT_WASM: { status: 400, message: "Not a WebAssembly module: the file does not start with the wasm magic and version 1. Pass a compiled .wasm file." },
  WACTOR_ERR_TRUNCATED_MODULE: { status: 400, message: "The WebAssembly module is truncated or its section layout is corrupt. Rebuild the module or copy it again." },
  WACTOR_ERR_MODULE_TOO_LARGE: { status: 413, message: "The WebAssembly module is larger than the configured limit. Raise the limit or strip debug sections." },
  WACTOR_ERR_NO_CLAIMS: { status: 401, message: "The module carries no signed claims (no 'jwt' custom section). Sign it with 'wactor claims sign'." },
  WACTOR_ERR_MALFORMED_TOKEN: { status: 401, message: "The module's 'jwt' section does not hold a well-formed wascap token. Re-sign the module with 'wactor claims sign'." },
  WACTOR_ERR_UNSUPPORTED_ALG: { status: 401, message: "The token's algorithm is not Ed25519; wactor accepts only Ed25519-signed tokens. Re-sign the module with 'wactor claims sign'." },
  WACTOR_ERR_BAD_SIGNATURE: { status: 401, message: "The token's signature does not verify against its issuer key: it was forged or altered. Re-sign the module with the issuer's seed." },
  WACTOR_ERR_HASH_MISMATCH: { status: 401, message: "The module's bytes do not match the hash in its claims: it was altered after signing. Rebuild and re-sign it." },
  WACTOR_ERR_TOKEN_EXPIRED: { status: 401, message: "The module's claims have expired. Re-sign it with a later expiry ('--expires-in')." },
  WACTOR_ERR_TOKEN_NOT_YET_VALID: { status: 401, message: "The module's claims are not valid yet (nbf in the future). Wait, or re-sign without '--not-before'." },
  WACTOR_ERR_UNTRUSTED_ISSUER: { status: 403, message: "The module was signed by an account this host does not trust. Add the issuer to trusted_issuers or sign with a trusted account." },
  WACTOR_ERR_NOT_AN_ACTOR: { status: 401, message: "The token describes a capability provider, not an actor (prov: true). Sign the module as an actor." },

  // Keys
  WACTOR_ERR_INVALID_KEY: { status: 400, message: "Not a valid nkey: expected a 56-character public key or a 58-character seed in base32 with a valid checksum." },
  WACTOR_ERR_KEY_TYPE: { status: 400, message: "The key has the wrong type for this use (for example a module key where an account key is needed)." },

  // CLI and files
  WACTOR_ERR_FILE_READ: { status: 400, message: "The file could not be read. Check the path and its permissions." },
  WACTOR_ERR_BAD_ARGUMENT: { status: 400, message: "A command-line argument is invalid. See '--help' for the expected form." },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOG;

export class WactorError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** The specific circumstance; `message` is the catalog text followed by it. */
  readonly detail: string | undefined;

  constructor(code: ErrorCode, detail?: string, options?: { cause?: unknown }) {
    const entry = ERROR_CATALOG[code];
    super(detail ? `${entry.message} (${detail})` : entry.message, options);
    this.name = "WactorError";
    this.code = code;
    this.status = entry.status;
    this.detail = detail;
  }

  toJSON(): { code: ErrorCode; message: string; status: number } {
    return { code: this.code, message: this.message, status: this.status };
  }
}

export function isWactorError(err: unknown, code?: ErrorCode): err is WactorError {
  return err instanceof WactorError && (code === undefined || err.code === code);
}
