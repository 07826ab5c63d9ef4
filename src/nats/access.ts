/**
 * How wactor reaches a production NATS: credentials (user/password, token, nkey seed, user
 * JWT + seed, a `.creds` file), TLS, a JetStream domain and the replica count of the
 * lattice's buckets. One description serves the lattice connection and the messaging
 * provider alike; secrets stay in it and are never printed (`describeAccess` masks them).
 */
import { readFileSync } from "node:fs";
import { ErrorCode as NatsErrorCode, credsAuthenticator, jwtAuthenticator, nkeyAuthenticator, type ConnectionOptions } from "nats";
import { WactorError } from "../errors.js";

export type NatsAuth =
  | { kind: "user"; user: string; password: string }
  | { kind: "token"; token: string }
  /** A user nkey seed (`SU…`): the server knows the public key. */
  | { kind: "nkey"; seed: string }
  /** A user JWT and its nkey seed (operator mode), as `--nats-jwt` / `--nats-seed`. */
  | { kind: "jwt"; jwt: string; seed: string }
  /** A `.creds` file (JWT + seed), as Synadia Cloud and operator-mode servers hand out. */
  | { kind: "creds"; file: string };

export interface NatsTls {
  /** CA that signed the server's certificate (PEM file). */
  caFile?: string;
  /** Client certificate and key (PEM files) for servers that verify clients. */
  certFile?: string;
  keyFile?: string;
}

export interface NatsAccess {
  auth?: NatsAuth;
  tls?: NatsTls;
  /** JetStream domain (JetStream behind a leaf node): the lattice's state lives there. */
  jsDomain?: string;
  /** Replicas of buckets this client creates; absent = 3 on a cluster of 3+ JetStream servers, else 1. */
  replicas?: number;
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    throw new WactorError("WACTOR_ERR_FILE_READ", `${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

const encoder = new TextEncoder();

/** The nats.js options for credentials and TLS. Files are read here, so a missing one fails before connecting. */
export function natsConnectOptions(access: NatsAccess | undefined): Partial<ConnectionOptions> {
  const options: Partial<ConnectionOptions> = {};
  const auth = access?.auth;
  if (auth?.kind === "user") Object.assign(options, { user: auth.user, pass: auth.password });
  else if (auth?.kind === "token") options.token = auth.token;
  else if (auth?.kind === "nkey") options.authenticator = nkeyAuthenticator(encoder.encode(auth.seed.trim()));
  else if (auth?.kind === "jwt") options.authenticator = jwtAuthenticator(auth.jwt.trim(), encoder.encode(auth.seed.trim()));
  else if (auth?.kind === "creds") options.authenticator = credsAuthenticator(encoder.encode(readText(auth.file, "creds file")));
  const tls = access?.tls;
  if (tls) {
    for (const [file, what] of [
      [tls.caFile, "TLS CA file"],
      [tls.certFile, "TLS certificate"],
      [tls.keyFile, "TLS key"],
    ] as const) {
      if (file !== undefined) readText(file, what);
    }
    if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) {
      throw new WactorError("WACTOR_ERR_BAD_ARGUMENT", "a TLS client certificate needs its key, and a key its certificate");
    }
    options.tls = {
      ...(tls.caFile !== undefined && { caFile: tls.caFile }),
      ...(tls.certFile !== undefined && { certFile: tls.certFile, keyFile: tls.keyFile! }),
    };
  }
  return options;
}

/** What a log line or an error may say about the credentials: their kind and public part, never a secret. */
export function describeAccess(access: NatsAccess | undefined): string {
  const auth = access?.auth;
  const who =
    auth === undefined
      ? "a connection without credentials"
      : auth.kind === "user"
        ? `user '${auth.user}' with a password`
        : auth.kind === "token"
          ? "a token"
          : auth.kind === "nkey"
            ? "an nkey seed"
            : auth.kind === "jwt"
              ? "a user JWT and seed"
              : `creds file ${auth.file}`;
  return access?.tls ? `${who}, over TLS` : who;
}

/** A server list fit for a log line: a password or token inside a URL becomes ***. */
export function redactServers(url: string): string {
  return url
    .split(",")
    .map((server) =>
      server.replace(
        /^([a-z]+:\/\/)([^@/]*)@/i,
        (_m, scheme: string, userinfo: string) => `${scheme}${userinfo.includes(":") ? `${userinfo.split(":")[0]}:***` : "***"}@`,
      ),
    )
    .join(",");
}

const natsCode = (err: unknown): string | undefined => (err as { code?: string } | null)?.code;

/** Why a connection was refused, in words an operator acts on; the credentials are described, never shown. */
export function connectFailureCause(err: unknown, access: NatsAccess | undefined): string {
  const code = natsCode(err);
  const message = err instanceof Error ? err.message : String(err);
  const creds = describeAccess(access);
  if (code === NatsErrorCode.AuthorizationViolation) return `authentication refused: the server did not accept ${creds}`;
  if (code === NatsErrorCode.AuthenticationExpired) return `authentication refused: the credentials expired (${creds})`;
  if (code === NatsErrorCode.ServerOptionNotAvailable) return `TLS was asked for but the server does not offer it (${message})`;
  if (/certificate|self[- ]signed|CERT_|tls|ssl/i.test(`${code ?? ""} ${message}`)) return `TLS handshake failed: ${message}`;
  if (code === NatsErrorCode.ConnectionRefused) return `connection refused (${message})`;
  // A server that rejects the client's certificate closes the TLS session after the client's side of the handshake completed.
  if (code === NatsErrorCode.Timeout && access?.tls)
    return `no NATS handshake in time over TLS: the server may have refused the client certificate (${access.tls.certFile ? "not signed by a CA it trusts" : "none was given"})`;
  return message;
}
